package dev.cairn.recipes.lock;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.fifo.FairQueue;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A fair lock with fencing tokens, after etcd's {@code concurrency.Mutex}.
 *
 * <p>Layout: the lock {@code name} lives under {@link #prefix(String)}; each contender is a key
 * {@code <prefix><lease id as 16 hex digits>} bound to its lease and created only if absent. The
 * holder is the key with the lowest create revision; waiters queue in create-revision order (FIFO).
 * A waiter watches only its immediate predecessor's key and re-checks when it is deleted: no
 * polling, and each release or expiry wakes exactly one waiter.
 *
 * <p>The fencing token of a grant is the create revision of the holder's key. It strictly increases
 * with every grant of a lock: a later grant's key was created after every earlier holder's key.
 * {@link Compare#fence} checks it inside the store's transaction.
 *
 * <p>A holder loses the lock when its key is deleted: released, its lease revoked or expired. The
 * same lease asking for the same lock again shares the one key (as etcd does); only the request
 * that created the key removes it on timeout.
 */
public final class Lock {
  /** Where every lock's queue lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/locks/";

  private final CairnClient client;

  public Lock(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** A lock held: {@code fencingToken} is the create revision of {@code key}. */
  public record Grant(String name, String key, long fencingToken, long lease) {}

  /** A queued contender, waiting since {@code sinceRevision} (its key's create revision). */
  public record Waiter(String key, long lease, long sinceRevision) {}

  /**
   * A lock's queue at {@code revision}.
   *
   * @param holder null when nobody holds it
   */
  public record State(Grant holder, List<Waiter> waiters, long revision) {
    public State {
      waiters = List.copyOf(waiters);
    }
  }

  /**
   * The key prefix of lock {@code name}. A name may contain {@code /}: it is escaped ({@code %} as
   * {@code %25}, {@code /} as {@code %2F}) so no lock's prefix covers another's keys.
   */
  public static String prefix(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F") + "/";
  }

  /** The queue key of {@code lease} in lock {@code name}. */
  public static String key(String name, long lease) {
    return prefix(name) + String.format("%016x", lease);
  }

  /** The compare that holds while {@code token} still holds lock {@code name}. */
  public static Compare fence(String name, long token) {
    return Compare.fence(prefix(name), token);
  }

  /**
   * Who holds: the first key in create-revision order; everyone else waits for the key just ahead
   * of it.
   */
  static FairQueue.Verdict judge(List<KeyValue> queue, int mine) {
    return mine == 0
        ? new FairQueue.Holds()
        : new FairQueue.Waits(List.of(queue.get(mine - 1)), false);
  }

  private FairQueue queue(String name) {
    return new FairQueue(
        client, prefix(name), "lock " + name, Lock::judge, ErrorCode.LOCK_TIMEOUT, false);
  }

  /**
   * Acquires lock {@code name} for {@code lease}, waiting in FIFO order.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with {@code lock_timeout} and the queue entry is removed.
   * @return the grant, or a failure: {@code lease_not_found} when the lease does not exist or ends
   *     while waiting
   */
  public CompletionStage<Grant> acquire(String name, long lease, Duration timeout) {
    // Every contender's key holds the empty value, so the queue's "queued differently" conflict
    // cannot arise here; its code is never used.
    return queue(name)
        .acquire(lease, Bytes.EMPTY, timeout, ErrorCode.NOT_HOLDER)
        .thenApply(kv -> grant(name, kv));
  }

  /**
   * Releases lock {@code name} held with {@code token}: deletes the holder's key atomically with
   * the check that it is the one created at {@code token}. Fails with {@code not_holder} (nothing
   * changed) when {@code token} does not hold the lock.
   */
  public CompletionStage<Void> release(String name, long token) {
    return queue(name).release(token).thenApply(kv -> null);
  }

  /**
   * Releases {@code grant}, a grant of this lock recipe: one transaction deleting its key while it
   * is still the generation created at its token, without reading the queue first. Fails with
   * {@code not_holder} (nothing changed) when the grant no longer holds.
   */
  public CompletionStage<Void> release(Grant grant) {
    return queue(grant.name()).releaseGranted(grant.key(), grant.fencingToken());
  }

  /** The holder and the waiters of lock {@code name}, in grant order. */
  public CompletionStage<State> status(String name) {
    return queue(name)
        .status()
        .thenApply(
            s ->
                new State(
                    s.holders().isEmpty() ? null : grant(name, s.holders().get(0)),
                    s.waiters().stream()
                        .map(kv -> new Waiter(kv.key(), kv.lease(), kv.createRevision()))
                        .toList(),
                    s.revision()));
  }

  private static Grant grant(String name, KeyValue kv) {
    return new Grant(name, kv.key(), kv.createRevision(), kv.lease());
  }
}
