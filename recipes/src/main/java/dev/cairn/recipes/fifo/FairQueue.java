package dev.cairn.recipes.fifo;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fair queue of contenders under one key prefix, after the lock's queue: each contender is a key
 * {@code <prefix><lease id as 16 hex digits>} bound to its lease, created only if absent, holding
 * the contender's {@code value} (e.g. its mode). Contenders are ordered by create revision (FIFO).
 * A {@link Policy} decides, from the queue alone, whether a contender holds or which keys it waits
 * for; a waiter watches exactly those keys and looks again when one of them goes (or, when the
 * policy says so, is written to). No polling.
 *
 * <p>Safety rests on one property the policies must have: whether a contender holds depends only on
 * the keys created before it, and keys are only ever added behind everyone. So once a contender
 * holds, it holds until its key is deleted (released, its lease revoked or expired), whatever
 * happens behind it.
 *
 * <p>The token of a grant is the create revision of the contender's key: unique within the queue
 * and greater than the token of every contender queued before it.
 */
public final class FairQueue {

  /** Says who holds. Must depend only on the keys ahead of {@code mine} (see the class doc). */
  public interface Policy {
    /**
     * @param queue the live keys under the prefix, in create-revision order
     * @param mine the index of the contender judged
     */
    Verdict judge(List<KeyValue> queue, int mine);
  }

  /** A policy's answer for one contender. */
  public sealed interface Verdict permits Holds, Waits {}

  /** The contender holds. */
  public record Holds() implements Verdict {}

  /**
   * The contender waits until one of {@code on} (keys ahead of it) is deleted or, with {@code
   * wakeOnPut}, written to.
   */
  public record Waits(List<KeyValue> on, boolean wakeOnPut) implements Verdict {
    public Waits {
      on = List.copyOf(on);
    }
  }

  /** The queue at {@code revision}: holders and waiters, each in create-revision order. */
  public record Status(List<KeyValue> holders, List<KeyValue> waiters, long revision) {
    public Status {
      holders = List.copyOf(holders);
      waiters = List.copyOf(waiters);
    }
  }

  private final CairnClient client;
  private final String prefix;
  private final String what;
  private final Policy policy;
  private final ErrorCode timeoutCode;
  private final boolean markLateGrant;

  /**
   * @param what the queue's name in messages, e.g. {@code "read-write lock jobs"}
   * @param timeoutCode the code of a wait that ran out of time
   * @param markLateGrant whether a contender granted after waiting writes its key once more (same
   *     value and lease), so that a successor watching it for writes learns it moved up
   */
  public FairQueue(
      CairnClient client,
      String prefix,
      String what,
      Policy policy,
      ErrorCode timeoutCode,
      boolean markLateGrant) {
    this.client = Objects.requireNonNull(client, "client");
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.what = Objects.requireNonNull(what, "what");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.timeoutCode = Objects.requireNonNull(timeoutCode, "timeoutCode");
    this.markLateGrant = markLateGrant;
  }

  /** The queue key of {@code lease}. */
  public String key(long lease) {
    return prefix + String.format("%016x", lease);
  }

  /** {@code kvs} in create-revision order. */
  public static List<KeyValue> sorted(List<KeyValue> kvs) {
    List<KeyValue> queue = new ArrayList<>(kvs);
    queue.sort(Comparator.comparingLong(KeyValue::createRevision));
    return queue;
  }

  /** The holders and the waiters, as the policy judges them now. */
  public CompletionStage<Status> status() {
    return client.prefix(prefix).thenApply(r -> status(r.kvs(), r.revision()));
  }

  private Status status(List<KeyValue> kvs, long revision) {
    List<KeyValue> queue = sorted(kvs);
    List<KeyValue> holders = new ArrayList<>();
    List<KeyValue> waiters = new ArrayList<>();
    for (int i = 0; i < queue.size(); i++) {
      (policy.judge(queue, i) instanceof Holds ? holders : waiters).add(queue.get(i));
    }
    return new Status(holders, waiters, revision);
  }

  /**
   * Queues {@code lease} with {@code value} and completes once it holds, with its key (its create
   * revision is the token).
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with the timeout code and the queue entry is removed.
   * @param conflict the code when {@code lease} is already queued here with another value
   * @return the holder's key, or a failure: {@code lease_not_found} when the lease does not exist
   *     or ends while waiting
   */
  public CompletionStage<KeyValue> acquire(
      long lease, Bytes value, Duration timeout, ErrorCode conflict) {
    return acquire(
        new Attempt(lease, value, Objects.requireNonNull(conflict, "conflict")), timeout);
  }

  /**
   * As {@link #acquire(long, Bytes, Duration, ErrorCode)}, except that a {@code lease} already
   * queued here keeps its place (its key and create revision) and has its value set to {@code
   * value}, in the same transaction that would have created the key (an election's re-campaign).
   */
  public CompletionStage<KeyValue> acquireSettingValue(long lease, Bytes value, Duration timeout) {
    return acquire(new Attempt(lease, value, null), timeout);
  }

  private CompletionStage<KeyValue> acquire(Attempt a, Duration timeout) {
    if (timeout != null && !timeout.isZero()) {
      CairnClient.Scheduled timer =
          client.schedule(
              timeout, () -> a.giveUp(what + " not acquired within " + timeout.toMillis() + " ms"));
      a.result.whenComplete((g, err) -> timer.cancel());
    }
    a.start(timeout != null && timeout.isZero());
    // A failure is reported once the queue entry is gone, so a caller never sees its own waiter.
    return a.result
        .handle(
            (g, err) ->
                err == null
                    ? CompletableFuture.completedFuture(g)
                    : a.cleaned.<KeyValue>thenCompose(v -> CompletableFuture.failedFuture(err)))
        .thenCompose(s -> s);
  }

  /**
   * Releases the grant {@code token}: deletes its key atomically with the check that it is the one
   * created at {@code token}. Fails with {@code not_holder} (nothing changed) when {@code token} is
   * not a holder's (a waiter's token included).
   */
  public CompletionStage<KeyValue> release(long token) {
    return status()
        .thenCompose(
            s -> {
              KeyValue held =
                  s.holders().stream()
                      .filter(kv -> kv.createRevision() == token)
                      .findFirst()
                      .orElseThrow(() -> notHolder(token));
              return client
                  .txn(deleteIfCreatedAt(held.key(), token))
                  .thenApply(
                      r -> {
                        if (!r.succeeded()) {
                          throw notHolder(token);
                        }
                        return held;
                      });
            });
  }

  /**
   * Releases a grant this queue made, knowing its key: one transaction, no read first. Whoever
   * holds holds until its key is deleted (see the class doc), so the key of a grant that still
   * exists with the grant's create revision is a holder's, and deleting it atomically with that
   * check is the release. Fails with {@code not_holder} (nothing changed) when the key is gone or
   * is a later generation. {@code key} must come from a grant of {@code token} (an {@link #acquire}
   * result): a waiter's key would be dequeued, not refused.
   */
  public CompletionStage<Void> releaseGranted(String key, long token) {
    return client
        .txn(deleteIfCreatedAt(key, token))
        .thenApply(
            r -> {
              if (!r.succeeded()) {
                throw notHolder(token);
              }
              return null;
            });
  }

  private CairnException notHolder(long token) {
    return new CairnException(ErrorCode.NOT_HOLDER, "token " + token + " does not hold " + what);
  }

  /** Deletes {@code key} only while it is the generation created at {@code createRevision}. */
  private static Command.Txn deleteIfCreatedAt(String key, long createRevision) {
    return new Command.Txn(
        List.of(
            Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, createRevision)),
        List.of(Command.Delete.key(key)),
        List.of());
  }

  /** One acquisition: its queue key, the watches it waits on, and its outcome. */
  private final class Attempt {
    final long lease;
    final Bytes value;

    /** The code of a lease queued with another value; null: its value is set instead. */
    final ErrorCode conflict;

    final String key;
    final CompletableFuture<KeyValue> result = new CompletableFuture<>();

    /** Completed once a failed attempt's queue entry is removed (or there was none). */
    final CompletableFuture<Void> cleaned = new CompletableFuture<>();

    final AtomicReference<List<CairnClient.Watch>> watches = new AtomicReference<>();

    /** The create revision of our key once it exists; 0 before. */
    volatile long myRevision;

    volatile boolean created;

    /** Whether this attempt has waited: a grant after a wait is marked (see markLateGrant). */
    volatile boolean waited;

    Attempt(long lease, Bytes value, ErrorCode conflict) {
      this.lease = lease;
      this.value = value;
      this.conflict = conflict;
      this.key = key(lease);
    }

    void start(boolean tryOnce) {
      Command.Put put = new Command.Put(key, value, lease, false);
      boolean setValue = conflict == null;
      client
          .txn(
              new Command.Txn(
                  List.of(Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                  List.of(put, Read.Range.prefix(prefix)),
                  setValue
                      ? List.of(put, Read.Range.prefix(prefix))
                      : List.of(Read.Range.prefix(prefix))))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                  return;
                }
                created = r.succeeded();
                Reply.RangeReply range =
                    (Reply.RangeReply) r.responses().get(r.succeeded() || setValue ? 1 : 0);
                KeyValue mine =
                    range.kvs().stream()
                        .filter(kv -> kv.key().equals(key))
                        .findFirst()
                        .orElse(null);
                if (mine == null) {
                  fail(lost());
                  return;
                }
                if (!setValue && !mine.value().equals(value)) {
                  // Another request of the same lease queued here differently: not ours to touch.
                  fail(
                      new CairnException(
                          conflict,
                          "lease " + lease + " is already queued for " + what + " differently"));
                  return;
                }
                myRevision = mine.createRevision();
                if (result.isDone()) { // timed out while the key was being created
                  removeKey();
                  return;
                }
                evaluate(range.kvs(), range.revision(), tryOnce);
              });
    }

    void fail(Throwable err) {
      result.completeExceptionally(err);
      cleaned.complete(null);
    }

    /** Grants when the policy says so; else watches the keys it names. */
    void evaluate(List<KeyValue> kvs, long revision, boolean tryOnce) {
      List<KeyValue> queue = sorted(kvs);
      int mine = -1;
      for (int i = 0; i < queue.size(); i++) {
        KeyValue kv = queue.get(i);
        if (kv.createRevision() == myRevision && kv.key().equals(key)) {
          mine = i;
        }
      }
      if (mine < 0) {
        fail(lost());
        return;
      }
      Verdict v = policy.judge(queue, mine);
      if (v instanceof Holds) {
        if (!result.complete(queue.get(mine))) {
          removeKey(); // the timeout won the race: give the place on
        } else if (waited && markLateGrant) {
          mark();
        }
        return;
      }
      if (!(v instanceof Waits w)) {
        throw new IllegalStateException("unhandled " + v);
      }
      if (tryOnce) {
        giveUp(what + " is held");
        return;
      }
      waited = true;
      AtomicBoolean fired = new AtomicBoolean(); // one wake-up per round, however many events
      List<CairnClient.Watch> opened = new ArrayList<>();
      watches.set(opened);
      for (KeyValue on : w.on()) {
        CairnClient.Watch handle =
            client.watch(
                on.key(),
                revision + 1,
                e -> {
                  boolean wakes =
                      e.type() == WatchEvent.Type.DELETE
                          || (w.wakeOnPut() && e.type() == WatchEvent.Type.PUT);
                  if (wakes && fired.compareAndSet(false, true)) {
                    stopWatching();
                    recheck();
                  }
                },
                err -> {
                  if (!fired.compareAndSet(false, true)) {
                    return;
                  }
                  stopWatching();
                  if (result.completeExceptionally(err)) {
                    removeKey();
                  }
                });
        synchronized (opened) {
          opened.add(handle);
        }
        if (fired.get() || result.isDone()) {
          handle.cancel(); // woken, or gave up, while the watches were being opened
        }
      }
    }

    void recheck() {
      if (result.isDone()) {
        return;
      }
      client
          .prefix(prefix)
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  if (result.completeExceptionally(err)) {
                    removeKey();
                  }
                  return;
                }
                evaluate(r.kvs(), r.revision(), false);
              });
    }

    /** Writes our key again, unchanged, so that a successor watching it for writes looks again. */
    void mark() {
      client.txn(
          new Command.Txn(
              List.of(
                  Compare.number(
                      key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, myRevision)),
              List.of(new Command.Put(key, value, lease, false)),
              List.of()));
    }

    void giveUp(String why) {
      if (result.completeExceptionally(new CairnException(timeoutCode, why))) {
        stopWatching();
        if (myRevision != 0) {
          removeKey();
        }
      }
    }

    void stopWatching() {
      List<CairnClient.Watch> ws = watches.getAndSet(null);
      if (ws != null) {
        synchronized (ws) {
          ws.forEach(CairnClient.Watch::cancel);
        }
      }
    }

    /** Deletes our queue key if this attempt created it and it is still that generation. */
    void removeKey() {
      if (!created) {
        cleaned.complete(null);
        return;
      }
      client
          .txn(deleteIfCreatedAt(key, myRevision))
          .whenComplete((r, err) -> cleaned.complete(null));
    }

    CairnException lost() {
      return new CairnException(
          ErrorCode.LEASE_NOT_FOUND,
          "the queue entry of lease " + lease + " for " + what + " is gone: the lease ended");
    }
  }
}
