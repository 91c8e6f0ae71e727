package dev.cairn.recipes.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.RecipeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BarrierTest extends RecipeTest {
  final Barrier barrier = new Barrier(client);

  @Test
  void waitersGoOnOnlyWhenTheBarrierIsReleased() throws Exception {
    get(barrier.await("g", Duration.ZERO)); // not held: at once
    get(barrier.hold("g", 0));
    List<CompletableFuture<Long>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(barrier.await("g", null).toCompletableFuture());
    }
    await(() -> client.watchesOpened.get() == 3);
    assertThat(failure(barrier.await("g", Duration.ZERO))).isEqualTo(ErrorCode.BARRIER_TIMEOUT);
    assertThat(failure(barrier.await("g", Duration.ofMillis(200))))
        .isEqualTo(ErrorCode.BARRIER_TIMEOUT);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    assertThat(get(barrier.release("g"))).isTrue();
    for (CompletableFuture<Long> w : waiting) {
      w.get(30, TimeUnit.SECONDS);
    }
    assertThat(get(barrier.release("g"))).isFalse();
  }

  @Test
  void aHoldBoundToALeaseEndsWithIt() throws Exception {
    long lease = get(client.grantLease(60));
    get(barrier.hold("l", lease));
    CompletableFuture<Long> waiting = barrier.await("l", null).toCompletableFuture();
    await(() -> client.watchesOpened.get() == 1);
    assertThat(waiting).isNotDone();
    client.expire(lease);
    waiting.get(30, TimeUnit.SECONDS);
  }
}
