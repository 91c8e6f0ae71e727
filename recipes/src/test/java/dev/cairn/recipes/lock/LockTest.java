package dev.cairn.recipes.lock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.recipes.RecipeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LockTest extends RecipeTest {
  final Lock lock = new Lock(client);

  @Test
  void anUncontendedLockIsGrantedWithItsKeysCreateRevisionAsToken() throws Exception {
    long l = lease();
    Lock.Grant g = get(lock.acquire("a", l, null));
    assertThat(g.key()).isEqualTo(Lock.key("a", l));
    assertThat(g.fencingToken()).isEqualTo(get(client.get(g.key())).orElseThrow().createRevision());
    assertThat(get(lock.status("a")).holder()).isEqualTo(g);
  }

  @Test
  void waitersAreServedInArrivalOrderAndEachWatchesOnlyItsPredecessor() throws Exception {
    long holder = lease();
    Lock.Grant first = get(lock.acquire("q", holder, null));
    List<CompletableFuture<Lock.Grant>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long l = lease();
      waiting.add(lock.acquire("q", l, null).toCompletableFuture());
      long n = i + 1;
      await(() -> status("q").waiters().size() == n);
    }
    await(() -> client.watchesOpened.get() == 5);
    List<Lock.Waiter> queue = status("q").waiters();
    long token = first.fencingToken();
    get(lock.release("q", token));
    for (int i = 0; i < 5; i++) {
      Lock.Grant g = waiting.get(i).get(30, TimeUnit.SECONDS);
      assertThat(g.key()).isEqualTo(queue.get(i).key());
      assertThat(g.fencingToken()).isGreaterThan(token);
      for (int j = i + 1; j < 5; j++) {
        assertThat(waiting.get(j)).isNotDone();
      }
      token = g.fencingToken();
      get(lock.release("q", token));
    }
    // One watch per waiter, none reopened: a release wakes only the next in line.
    assertThat(client.watchesOpened.get()).isEqualTo(5);
    assertThat(status("q").holder()).isNull();
  }

  @Test
  void contendersNeverOverlapAndNoFencedUpdateIsLost() throws Exception {
    int contenders = 16;
    int rounds = 10;
    get(client.put("counter", Bytes.utf8("0"), 0));
    AtomicInteger inside = new AtomicInteger();
    List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
    concurrently(
        contenders,
        60,
        c -> {
          long l = lease();
          for (int r = 0; r < rounds; r++) {
            Lock.Grant g = get(lock.acquire("counter", l, null));
            assertThat(inside.incrementAndGet()).isEqualTo(1);
            tokens.add(g.fencingToken());
            int n = Integer.parseInt(get(client.get("counter")).orElseThrow().value().utf8String());
            get(
                client.txn(
                    new Command.Txn(
                        List.of(Lock.fence("counter", g.fencingToken())),
                        List.of(new Command.Put("counter", Bytes.utf8("" + (n + 1)), 0, false)),
                        List.of())));
            inside.decrementAndGet();
            get(lock.release("counter", g.fencingToken()));
          }
        });
    assertThat(get(client.get("counter")).orElseThrow().value().utf8String())
        .isEqualTo("" + contenders * rounds);
    assertThat(tokens).hasSize(contenders * rounds).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void anExpiredHoldersLockPassesOnAndItsLateFencedWriteIsRefused() throws Exception {
    long a = lease();
    long b = lease();
    Lock.Grant old = get(lock.acquire("e", a, null));
    CompletableFuture<Lock.Grant> next = lock.acquire("e", b, null).toCompletableFuture();
    await(() -> status("e").waiters().size() == 1);
    client.expire(a);
    Lock.Grant g = next.get(30, TimeUnit.SECONDS);
    assertThat(g.fencingToken()).isGreaterThan(old.fencingToken());
    ErrorCode late =
        failure(
            client.txn(
                new Command.Txn(
                    List.of(Lock.fence("e", old.fencingToken())),
                    List.of(new Command.Put("data", Bytes.utf8("late"), 0, false)),
                    List.of())));
    assertThat(late).isEqualTo(ErrorCode.FENCED);
    assertThat(get(client.get("data"))).isEmpty();
  }

  @Test
  void aTryLockOnAHeldLockFailsAtOnceAndLeavesNoQueueEntry() throws Exception {
    get(lock.acquire("t", lease(), Duration.ZERO));
    assertThat(failure(lock.acquire("t", lease(), Duration.ZERO)))
        .isEqualTo(ErrorCode.LOCK_TIMEOUT);
    await(() -> status("t").waiters().isEmpty());
    assertThat(client.watchesOpened.get()).isZero();
  }

  @Test
  void aTimedOutWaiterLeavesTheQueueAndTheOneBehindItStillGetsTheLock() throws Exception {
    Lock.Grant holder = get(lock.acquire("w", lease(), null));
    CompletableFuture<Lock.Grant> impatient =
        lock.acquire("w", lease(), Duration.ofMillis(300)).toCompletableFuture();
    await(() -> status("w").waiters().size() == 1);
    CompletableFuture<Lock.Grant> patient = lock.acquire("w", lease(), null).toCompletableFuture();
    await(() -> status("w").waiters().size() == 2);
    assertThat(failure(impatient)).isEqualTo(ErrorCode.LOCK_TIMEOUT);
    await(() -> status("w").waiters().size() == 1);
    get(lock.release("w", holder.fencingToken()));
    assertThat(patient.get(30, TimeUnit.SECONDS).fencingToken())
        .isGreaterThan(holder.fencingToken());
  }

  @Test
  void aStaleTokenDoesNotReleaseTheLock() throws Exception {
    Lock.Grant g = get(lock.acquire("s", lease(), null));
    assertThat(failure(lock.release("s", g.fencingToken() - 1))).isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(status("s").holder()).isEqualTo(g);
    get(lock.release("s", g.fencingToken()));
    assertThat(failure(lock.release("s", g.fencingToken()))).isEqualTo(ErrorCode.NOT_HOLDER);
  }

  @Test
  void aGrantIsReleasedWithOneTransactionAndNoReadAndAGrantNoLongerHeldIsNotHolder()
      throws Exception {
    long a = lease();
    Lock.Grant first = get(lock.acquire("k", a, null));
    CompletableFuture<Lock.Grant> second = lock.acquire("k", lease(), null).toCompletableFuture();
    await(() -> status("k").waiters().size() == 1);
    long reads = client.reads.get();
    long txns = client.txns.get();
    get(lock.release(first));
    assertThat(client.txns.get() - txns).isEqualTo(1);
    Lock.Grant next = second.get(30, TimeUnit.SECONDS);
    // The waiter's own re-check is the only read since the release.
    assertThat(client.reads.get() - reads).isEqualTo(1);
    assertThat(failure(lock.release(first))).isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(status("k").holder()).isEqualTo(next);

    // The same lease queues again: a new generation of the same key, which the old grant's
    // release must not delete.
    get(lock.release(next));
    Lock.Grant again = get(lock.acquire("k", a, null));
    assertThat(again.key()).isEqualTo(first.key());
    assertThat(failure(lock.release(first))).isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(status("k").holder()).isEqualTo(again);
  }

  @Test
  void anUnknownLeaseIsRefused() {
    assertThat(failure(lock.acquire("u", 424242, null))).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
  }

  @Test
  void aWaiterWhoseOwnLeaseEndsFailsWithLeaseNotFoundWhenItsTurnComes() throws Exception {
    Lock.Grant holder = get(lock.acquire("x", lease(), null));
    long doomed = lease();
    CompletableFuture<Lock.Grant> waiter = lock.acquire("x", doomed, null).toCompletableFuture();
    await(() -> status("x").waiters().size() == 1);
    client.expire(doomed);
    get(lock.release("x", holder.fencingToken()));
    assertThat(failure(waiter)).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    assertThat(status("x").holder()).isNull();
  }

  @Test
  void aSecondRequestOfTheSameLeaseSharesTheKeyAndItsTimeoutLeavesTheFirstQueued()
      throws Exception {
    Lock.Grant holder = get(lock.acquire("r", lease(), null));
    long l = lease();
    CompletableFuture<Lock.Grant> first = lock.acquire("r", l, null).toCompletableFuture();
    await(() -> status("r").waiters().size() == 1);
    assertThat(failure(lock.acquire("r", l, Duration.ZERO))).isEqualTo(ErrorCode.LOCK_TIMEOUT);
    assertThat(status("r").waiters())
        .extracting(Lock.Waiter::key)
        .containsExactly(Lock.key("r", l));
    get(lock.release("r", holder.fencingToken()));
    Lock.Grant g = first.get(30, TimeUnit.SECONDS);
    assertThat(get(lock.acquire("r", l, Duration.ZERO))).isEqualTo(g);
  }

  @Test
  void locksWhoseNamesNestAreIndependent() throws Exception {
    Lock.Grant outer = get(lock.acquire("a", lease(), Duration.ZERO));
    Lock.Grant inner = get(lock.acquire("a/b", lease(), Duration.ZERO));
    assertThat(status("a").waiters()).isEmpty();
    assertThat(inner.key()).doesNotStartWith(Lock.prefix("a"));
    assertThat(outer.fencingToken()).isLessThan(inner.fencingToken());
  }

  Lock.State status(String name) throws Exception {
    return get(lock.status(name));
  }
}
