package dev.cairn.recipes.lock;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
   * Acquires lock {@code name} for {@code lease}, waiting in FIFO order.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. On
   *     timeout the stage fails with {@code lock_timeout} and the queue entry is removed.
   * @return the grant, or a failure: {@code lease_not_found} when the lease does not exist or ends
   *     while waiting
   */
  public CompletionStage<Grant> acquire(String name, long lease, Duration timeout) {
    Attempt a = new Attempt(name, lease);
    if (timeout != null && !timeout.isZero()) {
      CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .execute(
              () ->
                  a.giveUp("lock " + name + " not acquired within " + timeout.toMillis() + " ms"));
    }
    a.start(timeout != null && timeout.isZero());
    // A failure is reported once the queue entry is gone, so a caller never sees its own waiter.
    return a.result
        .handle(
            (g, err) ->
                err == null
                    ? CompletableFuture.completedFuture(g)
                    : a.cleaned.<Grant>thenCompose(v -> CompletableFuture.failedFuture(err)))
        .thenCompose(s -> s);
  }

  /**
   * Releases lock {@code name} held with {@code token}: deletes the holder's key atomically with
   * the check that it is the one created at {@code token}. Fails with {@code not_holder} (nothing
   * changed) when {@code token} does not hold the lock.
   */
  public CompletionStage<Void> release(String name, long token) {
    return status(name)
        .thenCompose(
            s -> {
              if (s.holder() == null || s.holder().fencingToken() != token) {
                throw notHolder(name, token);
              }
              return client.txn(deleteIfCreatedAt(s.holder().key(), token));
            })
        .thenAccept(
            r -> {
              if (!r.succeeded()) {
                throw notHolder(name, token);
              }
            });
  }

  /** The holder and the waiters of lock {@code name}, in grant order. */
  public CompletionStage<State> status(String name) {
    return client.prefix(prefix(name)).thenApply(r -> state(name, r.kvs(), r.revision()));
  }

  private static State state(String name, List<KeyValue> kvs, long revision) {
    List<KeyValue> queue = new ArrayList<>(kvs);
    queue.sort(Comparator.comparingLong(KeyValue::createRevision));
    Grant holder = null;
    List<Waiter> waiters = new ArrayList<>();
    for (KeyValue kv : queue) {
      if (holder == null) {
        holder = new Grant(name, kv.key(), kv.createRevision(), kv.lease());
      } else {
        waiters.add(new Waiter(kv.key(), kv.lease(), kv.createRevision()));
      }
    }
    return new State(holder, waiters, revision);
  }

  /** Deletes {@code key} only while it is the generation created at {@code createRevision}. */
  private static Command.Txn deleteIfCreatedAt(String key, long createRevision) {
    return new Command.Txn(
        List.of(
            Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, createRevision)),
        List.of(Command.Delete.key(key)),
        List.of());
  }

  private static CairnException notHolder(String name, long token) {
    return new CairnException(
        ErrorCode.NOT_HOLDER, "token " + token + " does not hold lock " + name);
  }

  /** One acquisition: its queue key, the watch it waits on, and its outcome. */
  private final class Attempt {
    final String name;
    final long lease;
    final String key;
    final CompletableFuture<Grant> result = new CompletableFuture<>();

    /** Completed once a failed attempt's queue entry is removed (or there was none). */
    final CompletableFuture<Void> cleaned = new CompletableFuture<>();

    final AtomicReference<CairnClient.Watch> watch = new AtomicReference<>();

    /** The create revision of our key once it exists; 0 before. */
    volatile long myRevision;

    volatile boolean created;

    Attempt(String name, long lease) {
      this.name = name;
      this.lease = lease;
      this.key = key(name, lease);
    }

    void start(boolean tryOnce) {
      String prefix = prefix(name);
      client
          .txn(
              new Command.Txn(
                  List.of(Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                  List.of(
                      new Command.Put(key, Bytes.EMPTY, lease, false), Read.Range.prefix(prefix)),
                  List.of(Read.Range.prefix(prefix))))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  result.completeExceptionally(err);
                  cleaned.complete(null);
                  return;
                }
                created = r.succeeded();
                Reply.RangeReply range =
                    (Reply.RangeReply) r.responses().get(r.succeeded() ? 1 : 0);
                KeyValue mine =
                    range.kvs().stream()
                        .filter(kv -> kv.key().equals(key))
                        .findFirst()
                        .orElse(null);
                if (mine == null) {
                  result.completeExceptionally(lost());
                  cleaned.complete(null);
                  return;
                }
                myRevision = mine.createRevision();
                if (result.isDone()) { // timed out while the key was being created
                  removeKey();
                  return;
                }
                waitFor(range.kvs(), range.revision(), tryOnce);
              });
    }

    /** Grants when nobody is ahead; else watches the immediate predecessor's key. */
    void waitFor(List<KeyValue> queue, long revision, boolean tryOnce) {
      KeyValue predecessor = null;
      boolean present = false;
      for (KeyValue kv : queue) {
        if (kv.createRevision() == myRevision && kv.key().equals(key)) {
          present = true;
        } else if (kv.createRevision() < myRevision
            && (predecessor == null || kv.createRevision() > predecessor.createRevision())) {
          predecessor = kv;
        }
      }
      if (!present) {
        result.completeExceptionally(lost());
        cleaned.complete(null);
        return;
      }
      if (predecessor == null) {
        if (!result.complete(new Grant(name, key, myRevision, lease))) {
          removeKey(); // the timeout won the race: give the lock on
        }
        return;
      }
      if (tryOnce) {
        giveUp("lock " + name + " is held");
        return;
      }
      String predecessorKey = predecessor.key();
      AtomicBoolean fired = new AtomicBoolean(); // one wake-up per watch, however many events
      CairnClient.Watch w =
          client.watch(
              predecessorKey,
              revision + 1,
              e -> {
                if (e.type() == WatchEvent.Type.DELETE && fired.compareAndSet(false, true)) {
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
      watch.set(w);
      if (result.isDone()) { // gave up while the watch was being set up
        stopWatching();
      }
    }

    void recheck() {
      if (result.isDone()) {
        return;
      }
      client
          .prefix(prefix(name))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  if (result.completeExceptionally(err)) {
                    removeKey();
                  }
                  return;
                }
                waitFor(r.kvs(), r.revision(), false);
              });
    }

    void giveUp(String why) {
      if (result.completeExceptionally(new CairnException(ErrorCode.LOCK_TIMEOUT, why))) {
        stopWatching();
        if (myRevision != 0) {
          removeKey();
        }
      }
    }

    void stopWatching() {
      CairnClient.Watch w = watch.getAndSet(null);
      if (w != null) {
        w.cancel();
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
          "the queue entry of lease " + lease + " for lock " + name + " is gone: the lease ended");
    }
  }
}
