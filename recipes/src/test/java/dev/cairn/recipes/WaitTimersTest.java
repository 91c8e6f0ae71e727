package dev.cairn.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.barrier.Barrier;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.queue.Queue;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The waits of the recipes are timed on the client's own timer ({@link CairnClient#schedule}),
 * never the JDK's common pool, and a wait that ends before its timeout cancels its timer: a busy
 * lock or queue leaves no timer behind per acquisition, and none fires late.
 */
@Timeout(60)
class WaitTimersTest extends RecipeTest {
  private static final Duration LONG = Duration.ofSeconds(20);

  @Test
  void aLockGrantedBeforeItsTimeoutCancelsItsTimer() throws Exception {
    Lock lock = new Lock(client);
    long l = lease();
    Lock.Grant g = get(lock.acquire("t", l, LONG));
    assertThat(client.timersScheduled.get()).isEqualTo(1);
    await(() -> client.timersCancelled.get() == 1);
    get(lock.release("t", g.fencingToken()));
    assertThat(client.timersRun.get()).isZero();
  }

  @Test
  void aLockWaitThatRunsOutIsEndedByItsTimer() throws Exception {
    Lock lock = new Lock(client);
    get(lock.acquire("t", lease(), null));
    assertThat(failure(lock.acquire("t", lease(), Duration.ofMillis(200))))
        .isEqualTo(ErrorCode.LOCK_TIMEOUT);
    assertThat(client.timersRun.get()).isEqualTo(1);
  }

  @Test
  void aTakeServedBeforeItsTimeoutCancelsItsTimer() throws Exception {
    Queue queue = new Queue(client);
    get(queue.push("jobs", Bytes.utf8("one")));
    get(queue.take("jobs", lease(), LONG));
    await(() -> client.timersCancelled.get() == 1);
    assertThat(client.timersRun.get()).isZero();
  }

  @Test
  void aBarrierReleasedBeforeItsTimeoutCancelsItsTimer() throws Exception {
    Barrier barrier = new Barrier(client);
    get(barrier.hold("gate", lease()));
    var waiting = barrier.await("gate", LONG).toCompletableFuture();
    get(barrier.release("gate"));
    get(waiting);
    await(() -> client.timersCancelled.get() == 1);
    assertThat(client.timersRun.get()).isZero();
  }
}
