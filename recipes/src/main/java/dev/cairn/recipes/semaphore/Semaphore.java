package dev.cairn.recipes.semaphore;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.fifo.FairQueue;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A fair counting semaphore: at most {@code permits} holders at a time, served in arrival order.
 *
 * <p>Layout: the semaphore {@code name} is defined by the key {@link #definitionKey(String)},
 * created by its first acquisition with its permit count and never changed (so every acquisition
 * sees the same count; one naming another count is refused with {@code
 * semaphore_permits_mismatch}). Each contender is a key {@code <prefix><lease id as 16 hex digits>}
 * under {@link #prefix(String)}, bound to its lease, created only if absent; contenders queue in
 * create-revision order and each holds one permit. The first {@code permits} contenders hold; the
 * rest wait.
 *
 * <p>Waiting, with no polling and no herd: the first waiter watches the holders' keys and looks
 * again when one goes; every later waiter watches only its immediate predecessor, which writes its
 * key once more (same value and lease) when it is granted after waiting, or goes. So a release
 * wakes only the first waiter, and a grant only the next one.
 *
 * <p>Safety: whether a contender holds depends only on the keys ahead of it, which only ever go, so
 * once among the first {@code permits} it stays there; every holder being among the first {@code
 * permits}, there are never more holders than permits.
 */
public final class Semaphore {
  /** Where every semaphore lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/semaphores/";

  private final CairnClient client;

  public Semaphore(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * A permit held (or, in a {@link State}, waited for) of a semaphore of {@code permits}: {@code
   * token} is its key's create revision.
   */
  public record Grant(String name, String key, long token, long lease, int permits) {
    static Grant of(String name, int permits, KeyValue kv) {
      return new Grant(name, kv.key(), kv.createRevision(), kv.lease(), permits);
    }
  }

  /** The semaphore's permit count, its holders and its waiters, in grant order. */
  public record State(int permits, List<Grant> holders, List<Grant> waiters, long revision) {
    public State {
      holders = List.copyOf(holders);
      waiters = List.copyOf(waiters);
    }
  }

  private static String escaped(String name) {
    return name.replace("%", "%25").replace("/", "%2F");
  }

  /** The key holding semaphore {@code name}'s permit count. */
  public static String definitionKey(String name) {
    return ROOT + escaped(name);
  }

  /** The key prefix of semaphore {@code name}'s queue. */
  public static String prefix(String name) {
    return ROOT + escaped(name) + "/";
  }

  /** The first {@code permits} contenders hold; see the class doc for whom the others watch. */
  static FairQueue.Verdict judge(int permits, List<KeyValue> queue, int mine) {
    if (mine < permits) {
      return new FairQueue.Holds();
    }
    if (mine == permits) {
      return new FairQueue.Waits(queue.subList(0, permits), false);
    }
    return new FairQueue.Waits(List.of(queue.get(mine - 1)), true);
  }

  private static FairQueue queue(CairnClient client, String name, int permits) {
    return new FairQueue(
        client,
        prefix(name),
        "semaphore " + name,
        (q, i) -> judge(permits, q, i),
        ErrorCode.SEMAPHORE_TIMEOUT,
        true);
  }

  /**
   * Acquires one permit of semaphore {@code name} for {@code lease}, waiting in FIFO order.
   *
   * @param permits the semaphore's permit count: required (at least 1) when it does not exist yet,
   *     which creates it; when it exists, null or its count
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with {@code semaphore_timeout} and the queue entry is removed.
   * @return the grant, or a failure: {@code semaphore_permits_mismatch}, {@code
   *     semaphore_not_found} (no count given for a semaphore that does not exist), {@code
   *     lease_not_found} when the lease does not exist or ends while waiting
   */
  public CompletionStage<Grant> acquire(
      String name, Integer permits, long lease, Duration timeout) {
    if (permits != null && permits < 1) {
      throw new IllegalArgumentException("permits must be at least 1, not " + permits);
    }
    return define(name, permits)
        .thenCompose(
            n ->
                queue(client, name, n)
                    .acquire(lease, Bytes.EMPTY, timeout, ErrorCode.INVALID_ARGUMENT)
                    .thenApply(kv -> Grant.of(name, n, kv)));
  }

  /**
   * The semaphore's permit count, creating it with {@code permits} when it does not exist. The
   * definition never changes once written, so a read finds it without a write; only a semaphore's
   * first acquisitions go through the create-if-absent transaction.
   */
  private CompletionStage<Integer> define(String name, Integer permits) {
    String key = definitionKey(name);
    return client
        .get(key)
        .thenCompose(
            found -> {
              if (found.isPresent()) {
                return CompletableFuture.completedFuture(checked(name, permits, found.get()));
              }
              if (permits == null) {
                throw notFound(name);
              }
              return client
                  .txn(
                      new Command.Txn(
                          List.of(
                              Compare.number(
                                  key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                          List.of(new Command.Put(key, Bytes.utf8(permits.toString()), 0, false)),
                          List.of(Read.Range.key(key))))
                  .thenApply(
                      r ->
                          r.succeeded()
                              ? permits
                              : checked(
                                  name,
                                  permits,
                                  ((Reply.RangeReply) r.responses().get(0)).kvs().get(0)));
            });
  }

  /** The count of {@code definition}, refused when {@code permits} names another. */
  private static int checked(String name, Integer permits, KeyValue definition) {
    int n = count(name, definition);
    if (permits != null && permits != n) {
      throw new CairnException(
          ErrorCode.SEMAPHORE_PERMITS_MISMATCH,
          "semaphore " + name + " has " + n + " permits, not " + permits);
    }
    return n;
  }

  private static int count(String name, KeyValue definition) {
    try {
      return Integer.parseInt(definition.value().utf8String());
    } catch (NumberFormatException e) {
      throw new CairnException(
          ErrorCode.INVALID_ARGUMENT,
          "semaphore " + name + "'s definition key does not hold a permit count");
    }
  }

  private static CairnException notFound(String name) {
    return new CairnException(
        ErrorCode.SEMAPHORE_NOT_FOUND,
        "no semaphore " + name + "; its first acquisition gives its permit count");
  }

  /** The permit count of semaphore {@code name}; {@code semaphore_not_found} if none. */
  private CompletionStage<Integer> permits(String name) {
    return client
        .get(definitionKey(name))
        .thenApply(kv -> count(name, kv.orElseThrow(() -> notFound(name))));
  }

  /**
   * Releases the permit granted with {@code token}. Fails with {@code not_holder} (nothing changed)
   * when {@code token} does not hold a permit of semaphore {@code name}.
   */
  public CompletionStage<Grant> release(String name, long token) {
    return permits(name)
        .thenCompose(
            n -> queue(client, name, n).release(token).thenApply(kv -> Grant.of(name, n, kv)));
  }

  /** The permit count, holders and waiters of semaphore {@code name}. */
  public CompletionStage<State> status(String name) {
    return permits(name)
        .thenCompose(
            n ->
                queue(client, name, n)
                    .status()
                    .thenApply(
                        s ->
                            new State(
                                n,
                                s.holders().stream().map(kv -> Grant.of(name, n, kv)).toList(),
                                s.waiters().stream().map(kv -> Grant.of(name, n, kv)).toList(),
                                s.revision())));
  }
}
