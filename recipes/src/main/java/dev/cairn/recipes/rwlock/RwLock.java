package dev.cairn.recipes.rwlock;

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
 * A fair read-write lock, after Curator's {@code InterProcessReadWriteLock} and etcd's recipes'
 * {@code RWMutex}: any number of readers together, or one writer alone.
 *
 * <p>Layout: each contender is a key {@code <prefix><lease id as 16 hex digits>} under {@link
 * #prefix(String)}, bound to its lease, created only if absent, whose value is its mode ({@code
 * read} or {@code write}). Contenders queue in create-revision order. A writer holds when no key is
 * ahead of it and waits for its immediate predecessor (of either mode); a reader holds when no
 * writer is ahead of it and waits for the last writer ahead of it. So a reader that arrives after a
 * waiting writer queues behind it: writers are not starved, and the lock is FIFO between modes.
 * Each waiter watches that one key and looks again when it is deleted: no polling, no herd (a
 * writer's release wakes the readers queued right behind it, which then hold together).
 *
 * <p>The token of a grant is its key's create revision: a writer's token is greater than the token
 * of every earlier grant, read or write, so it serves as a fencing token for the writer; readers'
 * tokens identify their grant for the release.
 */
public final class RwLock {
  /** Where every read-write lock's queue lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/rwlocks/";

  /** A contender's mode. */
  public enum Mode {
    READ,
    WRITE;

    /** The mode's wire name and queue key value: {@code read} or {@code write}. */
    public String wire() {
      return this == READ ? "read" : "write";
    }

    Bytes value() {
      return Bytes.utf8(wire());
    }

    static Mode of(KeyValue kv) {
      return kv.value().equals(WRITE.value()) ? WRITE : READ;
    }
  }

  private final CairnClient client;

  public RwLock(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** A grant (or a queued contender, in a {@link State}): {@code token} is its key's revision. */
  public record Grant(String name, String key, Mode mode, long token, long lease) {
    static Grant of(String name, KeyValue kv) {
      return new Grant(name, kv.key(), Mode.of(kv), kv.createRevision(), kv.lease());
    }
  }

  /** The lock's holders (all readers, or one writer) and its waiters, in grant order. */
  public record State(List<Grant> holders, List<Grant> waiters, long revision) {
    public State {
      holders = List.copyOf(holders);
      waiters = List.copyOf(waiters);
    }
  }

  /** The key prefix of lock {@code name}; {@code /} and {@code %} escaped as for locks. */
  public static String prefix(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F") + "/";
  }

  /**
   * The compare that holds while {@code token} holds lock {@code name} for writing: its key is the
   * first in the queue and is a writer's. A reader's token never passes it.
   */
  public static Compare fence(String name, long token) {
    return Compare.fence(prefix(name), token, Mode.WRITE.value());
  }

  /** Who holds and who waits, from the queue alone (see the class doc). */
  static FairQueue.Verdict judge(List<KeyValue> queue, int mine) {
    if (Mode.of(queue.get(mine)) == Mode.WRITE) {
      return mine == 0
          ? new FairQueue.Holds()
          : new FairQueue.Waits(List.of(queue.get(mine - 1)), false);
    }
    for (int i = mine - 1; i >= 0; i--) {
      if (Mode.of(queue.get(i)) == Mode.WRITE) {
        return new FairQueue.Waits(List.of(queue.get(i)), false);
      }
    }
    return new FairQueue.Holds();
  }

  private FairQueue queue(String name) {
    return new FairQueue(
        client,
        prefix(name),
        "read-write lock " + name,
        RwLock::judge,
        ErrorCode.LOCK_TIMEOUT,
        false);
  }

  /**
   * Acquires lock {@code name} in {@code mode} for {@code lease}, waiting in FIFO order.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with {@code lock_timeout} and the queue entry is removed.
   * @return the grant, or a failure: {@code lease_not_found} when the lease does not exist or ends
   *     while waiting; {@code mode_conflict} when the lease is already queued in the other mode
   */
  public CompletionStage<Grant> acquire(String name, Mode mode, long lease, Duration timeout) {
    return queue(name)
        .acquire(lease, mode.value(), timeout, ErrorCode.MODE_CONFLICT)
        .thenApply(kv -> Grant.of(name, kv));
  }

  /**
   * Releases the grant {@code token} of lock {@code name}. Fails with {@code not_holder} (nothing
   * changed) when {@code token} does not hold the lock.
   */
  public CompletionStage<Grant> release(String name, long token) {
    return queue(name).release(token).thenApply(kv -> Grant.of(name, kv));
  }

  /** The holders and the waiters of lock {@code name}. */
  public CompletionStage<State> status(String name) {
    return queue(name)
        .status()
        .thenApply(
            s ->
                new State(
                    s.holders().stream().map(kv -> Grant.of(name, kv)).toList(),
                    s.waiters().stream().map(kv -> Grant.of(name, kv)).toList(),
                    s.revision()));
  }
}
