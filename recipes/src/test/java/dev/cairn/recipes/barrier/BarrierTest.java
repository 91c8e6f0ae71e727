package dev.cairn.recipes.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.KeyspaceClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BarrierTest {
  final KeyspaceClient client = new KeyspaceClient();
  final Barrier barrier = new Barrier(client);

  @AfterEach
  void close() {
    client.close();
  }

  static <T> T get(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static ErrorCode failure(CompletionStage<?> s) {
    try {
      s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return CairnException.codeOf(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

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

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(Check c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!c.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 30 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
