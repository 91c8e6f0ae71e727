package dev.cairn.recipes.semaphore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.RecipeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SemaphoreTest extends RecipeTest {
  final Semaphore sem = new Semaphore(client);

  CompletableFuture<Semaphore.Grant> acquire(String name, Integer permits) throws Exception {
    return sem.acquire(name, permits, lease(), null).toCompletableFuture();
  }

  Semaphore.State status(String name) throws Exception {
    return get(sem.status(name));
  }

  @Test
  void theFirstAcquisitionFixesThePermitCount() throws Exception {
    assertThat(failure(sem.status("p"))).isEqualTo(ErrorCode.SEMAPHORE_NOT_FOUND);
    assertThat(failure(sem.acquire("p", null, lease(), null)))
        .isEqualTo(ErrorCode.SEMAPHORE_NOT_FOUND);
    Semaphore.Grant g = get(acquire("p", 2));
    assertThat(failure(sem.acquire("p", 3, lease(), null)))
        .isEqualTo(ErrorCode.SEMAPHORE_PERMITS_MISMATCH);
    Semaphore.Grant second = get(acquire("p", null));
    assertThat(status("p").permits()).isEqualTo(2);
    assertThat(status("p").holders()).containsExactly(g, second);
    assertThat(status("p").waiters()).isEmpty();
  }

  @Test
  void waitersAreServedInArrivalOrderWhicheverHolderReleases() throws Exception {
    Semaphore.Grant a = get(acquire("q", 2));
    Semaphore.Grant b = get(acquire("q", 2));
    List<CompletableFuture<Semaphore.Grant>> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(acquire("q", 2));
      int n = i + 1;
      await(() -> status("q").waiters().size() == n);
    }
    List<Semaphore.Grant> queue = status("q").waiters();
    // The first waiter watches both holders, each later one its predecessor.
    await(() -> client.watchesOpened.get() == 5);
    // The younger holder goes first: the first waiter moves in beside the older one.
    get(sem.release("q", b.token()));
    assertThat(waiting.get(0).get(30, TimeUnit.SECONDS)).isEqualTo(queue.get(0));
    // The next waiter learnt it is first now (its predecessor's grant woke it), and takes the
    // older holder's permit when it goes.
    get(sem.release("q", a.token()));
    assertThat(waiting.get(1).get(30, TimeUnit.SECONDS)).isEqualTo(queue.get(1));
    assertThat(waiting.get(2)).isNotDone();
    assertThat(waiting.get(3)).isNotDone();
    get(sem.release("q", queue.get(1).token()));
    assertThat(waiting.get(2).get(30, TimeUnit.SECONDS)).isEqualTo(queue.get(2));
    assertThat(waiting.get(3)).isNotDone();
    get(sem.release("q", queue.get(0).token()));
    assertThat(waiting.get(3).get(30, TimeUnit.SECONDS)).isEqualTo(queue.get(3));
    assertThat(status("q").holders()).containsExactly(queue.get(2), queue.get(3));
  }

  @Test
  void permitsAreNeverExceededUnderContention() throws Exception {
    int permits = 3;
    int contenders = 12;
    int rounds = 8;
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    get(acquire("c", permits).thenCompose(g -> sem.release("c", g.token())));
    concurrently(
        contenders,
        60,
        c -> {
          long l = lease();
          for (int r = 0; r < rounds; r++) {
            Semaphore.Grant g = get(sem.acquire("c", permits, l, null));
            grants.incrementAndGet();
            int n = inside.incrementAndGet();
            most.accumulateAndGet(n, Math::max);
            Thread.yield();
            inside.decrementAndGet();
            get(sem.release("c", g.token()));
          }
        });
    assertThat(most.get()).isBetween(1, permits);
    assertThat(grants.get()).isEqualTo(contenders * rounds);
    assertThat(status("c").holders()).isEmpty();
  }

  @Test
  void aTimedOutWaiterLeavesAndTheOneBehindItMovesUp() throws Exception {
    Semaphore.Grant holder = get(acquire("t", 1));
    assertThat(failure(sem.acquire("t", 1, lease(), Duration.ZERO)))
        .isEqualTo(ErrorCode.SEMAPHORE_TIMEOUT);
    assertThat(status("t").waiters()).isEmpty();
    CompletableFuture<Semaphore.Grant> impatient =
        sem.acquire("t", 1, lease(), Duration.ofMillis(300)).toCompletableFuture();
    await(() -> status("t").waiters().size() == 1);
    CompletableFuture<Semaphore.Grant> patient = acquire("t", 1);
    await(() -> status("t").waiters().size() == 2);
    assertThat(failure(impatient)).isEqualTo(ErrorCode.SEMAPHORE_TIMEOUT);
    await(() -> status("t").waiters().size() == 1);
    get(sem.release("t", holder.token()));
    assertThat(patient.get(30, TimeUnit.SECONDS).token()).isGreaterThan(holder.token());
  }

  @Test
  void anExpiredHoldersPermitPassesOnAndOnlyHoldersRelease() throws Exception {
    long a = lease();
    Semaphore.Grant held = get(sem.acquire("e", 1, a, null));
    CompletableFuture<Semaphore.Grant> next = acquire("e", 1);
    await(() -> status("e").waiters().size() == 1);
    long waiterToken = status("e").waiters().get(0).token();
    assertThat(failure(sem.release("e", waiterToken))).isEqualTo(ErrorCode.NOT_HOLDER);
    client.expire(a);
    assertThat(next.get(30, TimeUnit.SECONDS).token()).isEqualTo(waiterToken);
    assertThat(failure(sem.release("e", held.token()))).isEqualTo(ErrorCode.NOT_HOLDER);
  }
}
