package dev.cairn.recipes.counter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.RecipeTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CounterTest extends RecipeTest {
  final Counter counter = new Counter(client);

  @Test
  void theFirstAdditionStartsAtTheInitialValueAndLaterOnesIgnoreIt() throws Exception {
    assertThat(failure(counter.read("a"))).isEqualTo(ErrorCode.COUNTER_NOT_FOUND);
    Counter.Value v = get(counter.add("a", 5, 100));
    assertThat(v.value()).isEqualTo(105);
    assertThat(get(counter.add("a", -7, 100)).value()).isEqualTo(98);
    Counter.Value read = get(counter.read("a"));
    assertThat(read.value()).isEqualTo(98);
    assertThat(read.revision()).isGreaterThan(v.revision());
    // Names nest without sharing a key.
    assertThat(get(counter.add("a/b", 1, 0)).value()).isEqualTo(1);
    assertThat(get(counter.read("a")).value()).isEqualTo(98);
  }

  @Test
  void concurrentAdditionsAreNeitherLostNorDoubled() throws Exception {
    int adders = 16;
    int adds = 50;
    List<Long> seen = Collections.synchronizedList(new ArrayList<>());
    concurrently(
        adders,
        60,
        a -> {
          for (int i = 0; i < adds; i++) {
            seen.add(get(counter.add("c", 1, 0)).value());
          }
        });
    assertThat(get(counter.read("c")).value()).isEqualTo(adders * adds);
    // Every addition saw its own result: 1..n, each once.
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(
            LongStream.rangeClosed(1, adders * adds).boxed().toList());
  }

  @Test
  void anOverflowingAdditionIsRefusedAndChangesNothing() throws Exception {
    get(counter.add("o", Long.MAX_VALUE - 1, 0));
    assertThat(failure(counter.add("o", 2, 0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(get(counter.read("o")).value()).isEqualTo(Long.MAX_VALUE - 1);
  }
}
