package dev.cairn.recipes.rwlock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.RecipeTest;
import dev.cairn.recipes.rwlock.RwLock.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RwLockTest extends RecipeTest {
  final RwLock lock = new RwLock(client);

  CompletableFuture<RwLock.Grant> acquire(String name, Mode mode) throws Exception {
    return lock.acquire(name, mode, lease(), null).toCompletableFuture();
  }

  RwLock.State status(String name) throws Exception {
    return get(lock.status(name));
  }

  @Test
  void readersShareTheLockAndAWriterWaitsUntilTheLastOneReleases() throws Exception {
    RwLock.Grant r1 = get(acquire("s", Mode.READ));
    RwLock.Grant r2 = get(acquire("s", Mode.READ));
    CompletableFuture<RwLock.Grant> w = acquire("s", Mode.WRITE);
    await(() -> status("s").waiters().size() == 1);
    assertThat(status("s").holders()).containsExactly(r1, r2);
    get(lock.release("s", r1.token()));
    await(() -> status("s").holders().size() == 1);
    assertThat(w).isNotDone();
    get(lock.release("s", r2.token()));
    RwLock.Grant g = w.get(30, TimeUnit.SECONDS);
    assertThat(g.mode()).isEqualTo(Mode.WRITE);
    assertThat(g.token()).isGreaterThan(r2.token());
    assertThat(status("s").holders()).containsExactly(g);
  }

  @Test
  void aReaderArrivingAfterAWaitingWriterQueuesBehindIt() throws Exception {
    RwLock.Grant r1 = get(acquire("f", Mode.READ));
    CompletableFuture<RwLock.Grant> w = acquire("f", Mode.WRITE);
    await(() -> status("f").waiters().size() == 1);
    CompletableFuture<RwLock.Grant> r2 = acquire("f", Mode.READ);
    CompletableFuture<RwLock.Grant> r3 = acquire("f", Mode.READ);
    await(() -> status("f").waiters().size() == 3);
    assertThat(status("f").waiters())
        .extracting(RwLock.Grant::mode)
        .containsExactly(Mode.WRITE, Mode.READ, Mode.READ);
    get(lock.release("f", r1.token()));
    RwLock.Grant wg = w.get(30, TimeUnit.SECONDS);
    assertThat(r2).isNotDone();
    assertThat(r3).isNotDone();
    get(lock.release("f", wg.token()));
    // The readers behind the writer hold together.
    assertThat(r2.get(30, TimeUnit.SECONDS).token()).isGreaterThan(wg.token());
    assertThat(r3.get(30, TimeUnit.SECONDS).token()).isGreaterThan(wg.token());
    assertThat(status("f").holders()).hasSize(2);
    // Each waiter watched one key: the writer its predecessor, each reader the writer.
    assertThat(client.watchesOpened.get()).isEqualTo(3);
  }

  @Test
  void aReaderBehindAWriterThatGivesUpJoinsTheReadersHolding() throws Exception {
    RwLock.Grant r1 = get(acquire("g", Mode.READ));
    CompletableFuture<RwLock.Grant> w =
        lock.acquire("g", Mode.WRITE, lease(), Duration.ofMillis(300)).toCompletableFuture();
    await(() -> status("g").waiters().size() == 1);
    CompletableFuture<RwLock.Grant> r2 = acquire("g", Mode.READ);
    await(() -> status("g").waiters().size() == 2);
    assertThat(failure(w)).isEqualTo(ErrorCode.LOCK_TIMEOUT);
    assertThat(r2.get(30, TimeUnit.SECONDS).mode()).isEqualTo(Mode.READ);
    assertThat(status("g").holders())
        .extracting(RwLock.Grant::token)
        .containsExactly(r1.token(), r2.get().token());
  }

  @Test
  void aTryLockOnAWriteHeldLockFailsAtOnceAndLeavesNoEntry() throws Exception {
    get(lock.acquire("t", Mode.WRITE, lease(), Duration.ZERO));
    assertThat(failure(lock.acquire("t", Mode.READ, lease(), Duration.ZERO)))
        .isEqualTo(ErrorCode.LOCK_TIMEOUT);
    assertThat(status("t").waiters()).isEmpty();
    assertThat(client.watchesOpened.get()).isZero();
  }

  @Test
  void aLeaseQueuedInOneModeIsRefusedTheOtherAndKeepsItsPlace() throws Exception {
    long l = lease();
    RwLock.Grant r = get(lock.acquire("m", Mode.READ, l, null));
    assertThat(failure(lock.acquire("m", Mode.WRITE, l, Duration.ZERO)))
        .isEqualTo(ErrorCode.MODE_CONFLICT);
    assertThat(status("m").holders()).containsExactly(r);
    // The same mode again shares the one place.
    assertThat(get(lock.acquire("m", Mode.READ, l, Duration.ZERO))).isEqualTo(r);
  }

  @Test
  void onlyAHoldersTokenReleases() throws Exception {
    RwLock.Grant w = get(acquire("x", Mode.WRITE));
    CompletableFuture<RwLock.Grant> waiting = acquire("x", Mode.READ);
    await(() -> status("x").waiters().size() == 1);
    long waiterToken = status("x").waiters().get(0).token();
    assertThat(failure(lock.release("x", waiterToken))).isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(failure(lock.release("x", w.token() - 1))).isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(status("x").waiters()).hasSize(1);
    get(lock.release("x", w.token()));
    assertThat(waiting.get(30, TimeUnit.SECONDS).token()).isEqualTo(waiterToken);
    assertThat(failure(lock.release("x", w.token()))).isEqualTo(ErrorCode.NOT_HOLDER);
  }

  @Test
  void anExpiredWritersLockPassesOnToTheReadersBehindIt() throws Exception {
    long a = lease();
    get(lock.acquire("e", Mode.WRITE, a, null));
    CompletableFuture<RwLock.Grant> r1 = acquire("e", Mode.READ);
    CompletableFuture<RwLock.Grant> r2 = acquire("e", Mode.READ);
    await(() -> status("e").waiters().size() == 2);
    client.expire(a);
    r1.get(30, TimeUnit.SECONDS);
    r2.get(30, TimeUnit.SECONDS);
    assertThat(status("e").holders()).hasSize(2);
  }

  @Test
  void aWaiterWhoseLeaseEndsFailsWithLeaseNotFound() throws Exception {
    RwLock.Grant w = get(acquire("d", Mode.WRITE));
    long doomed = lease();
    CompletableFuture<RwLock.Grant> r =
        lock.acquire("d", Mode.READ, doomed, null).toCompletableFuture();
    await(() -> status("d").waiters().size() == 1);
    client.expire(doomed);
    get(lock.release("d", w.token()));
    assertThat(failure(r)).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
  }

  @Test
  void contendersNeverSeeAWriterWithAnyoneElse() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    int contenders = 12;
    int rounds = 10;
    AtomicInteger readers = new AtomicInteger();
    AtomicInteger writers = new AtomicInteger();
    AtomicInteger violations = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    List<Long> writerTokens = Collections.synchronizedList(new ArrayList<>());
    long[] seeds = random.longs(contenders).toArray();
    concurrently(
        contenders,
        60,
        c -> {
          long l = lease();
          Random r = new Random(seeds[c]);
          for (int i = 0; i < rounds; i++) {
            Mode mode = r.nextInt(3) == 0 ? Mode.WRITE : Mode.READ;
            RwLock.Grant g = get(lock.acquire("c", mode, l, null));
            grants.incrementAndGet();
            if (mode == Mode.WRITE) {
              writerTokens.add(g.token());
              if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                violations.incrementAndGet();
              }
              Thread.yield();
              writers.decrementAndGet();
            } else {
              readers.incrementAndGet();
              if (writers.get() != 0) {
                violations.incrementAndGet();
              }
              Thread.yield();
              readers.decrementAndGet();
            }
            get(lock.release("c", g.token()));
          }
        });
    assertThat(violations.get()).as("seed %d", seed).isZero();
    assertThat(grants.get()).isEqualTo(contenders * rounds);
    assertThat(writerTokens).as("seed %d", seed).isSorted().doesNotHaveDuplicates();
    assertThat(status("c").holders()).isEmpty();
  }
}
