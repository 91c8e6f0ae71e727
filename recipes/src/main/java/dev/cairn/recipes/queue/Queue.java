package dev.cairn.recipes.queue;

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
import dev.cairn.recipes.Wakeup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.ToIntFunction;

/**
 * A FIFO work queue with at-least-once delivery: push, blocking take with a claim bound to the
 * taker's lease, explicit ack, and redelivery when the taker's lease ends.
 *
 * <p>Layout under {@link #prefix(String)}: each item is a sequential key {@code items/<id>}, where
 * {@code id} is its create revision (20 digits, so key order is push order); a claimed item has a
 * key {@code claims/<id>} bound to the taker's lease, created in one transaction with the check
 * that the item exists and is unclaimed. An item is visible while it has no claim. An ack deletes
 * the claim and the item in one transaction, only while the claim is the one created at the ack's
 * token; when the taker's lease expires or is revoked, its claims go with it and the items are
 * visible again, in their original place. A take that finds nothing waits in a line of takers
 * ({@code takers/<revision>}, bound to the taker's lease): only the taker at its head watches the
 * queue, the others each watch the one ahead of them, so a push wakes one waiting taker.
 */
public final class Queue {
  /** Where every queue lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/queues/";

  private final CairnClient client;

  public Queue(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** An item pushed: {@code id} is its create revision, which orders the queue. */
  public record Pushed(String name, long id, String key) {}

  /**
   * An item taken: claimed by {@code lease} until acked with {@code token} (the claim's create
   * revision) or until the lease ends.
   */
  public record Delivery(
      String name, long id, String key, Bytes value, long token, long lease, String claim) {}

  /** A claim on an item: {@code token} is the claim key's create revision. */
  public record Claim(long token, long lease) {}

  /** An item in the queue; {@code claim} is null while it is visible to takers. */
  public record Item(long id, String key, Bytes value, Claim claim) {}

  /**
   * A queue at {@code revision}: {@code length} items, {@code claimed} of them claimed; {@code
   * items} the first of them in order (as many as asked for).
   */
  public record State(long length, long claimed, List<Item> items, long revision) {
    public State {
      items = List.copyOf(items);
    }
  }

  /**
   * The key prefix of queue {@code name}; {@code %} and {@code /} in the name are escaped ({@code
   * %25}, {@code %2F}) so no queue's prefix covers another's keys.
   */
  public static String prefix(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F") + "/";
  }

  static String items(String name) {
    return prefix(name) + "items/";
  }

  static String claims(String name) {
    return prefix(name) + "claims/";
  }

  static String takers(String name) {
    return prefix(name) + "takers/";
  }

  /** The key of item {@code id} of queue {@code name}. */
  public static String itemKey(String name, long id) {
    return items(name) + digits(id);
  }

  /** The claim key of item {@code id} of queue {@code name}. */
  public static String claimKey(String name, long id) {
    return claims(name) + digits(id);
  }

  private static String digits(long id) {
    return String.format(Locale.ROOT, "%020d", id);
  }

  private static long idOf(String key) {
    return Long.parseLong(key.substring(key.length() - 20));
  }

  /** Appends {@code value} to queue {@code name}. */
  public CompletionStage<Pushed> push(String name, Bytes value) {
    return client
        .createSequential(items(name), value, 0)
        .thenApply(r -> new Pushed(name, r.kv().createRevision(), r.kv().key()));
  }

  /**
   * Takes the first visible item of queue {@code name}, claimed by {@code lease}, waiting for one
   * when there is none.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. When it
   *     passes the stage fails with {@code queue_timeout} and nothing stays claimed or queued.
   * @return the delivery, or a failure: {@code lease_not_found} when the lease does not exist or
   *     ends while waiting
   */
  public CompletionStage<Delivery> take(String name, long lease, Duration timeout) {
    Take t = new Take(name, lease, timeout != null && timeout.isZero());
    if (timeout != null && !timeout.isZero()) {
      CairnClient.Scheduled timer =
          client.schedule(
              timeout,
              () -> t.giveUp("no item in queue " + name + " within " + timeout.toMillis() + " ms"));
      t.result.whenComplete((d, err) -> timer.cancel());
    }
    t.attempt();
    // A failure is reported once the taker's line entry is gone.
    return t.result
        .handle(
            (d, err) ->
                err == null
                    ? CompletableFuture.completedFuture(d)
                    : t.cleaned.<Delivery>thenCompose(v -> CompletableFuture.failedFuture(err)))
        .thenCompose(s -> s);
  }

  /**
   * Acknowledges item {@code id} of queue {@code name}, claimed with {@code token}: deletes the
   * item and its claim atomically with the check that the claim is the one created at {@code
   * token}. Fails with {@code not_claimed} (nothing changed) otherwise: the claim ended and the
   * item went back to the queue (and may be claimed by another taker), or it was acked already.
   */
  public CompletionStage<Long> ack(String name, long id, long token) {
    String claim = claimKey(name, id);
    return client
        .txn(
            new Command.Txn(
                List.of(
                    Compare.number(claim, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, token)),
                List.of(Command.Delete.key(claim), Command.Delete.key(itemKey(name, id))),
                List.of()))
        .thenApply(
            r -> {
              if (!r.succeeded()) {
                throw new CairnException(
                    ErrorCode.NOT_CLAIMED,
                    "token " + token + " does not claim item " + id + " of queue " + name);
              }
              return r.revision();
            });
  }

  /** Queue {@code name}'s length, claims, and its first {@code limit} items (0 = all). */
  public CompletionStage<State> status(String name, long limit) {
    return client
        .prefix(claims(name))
        .thenCompose(
            claims ->
                client
                    .prefix(items(name), limit)
                    .thenApply(
                        items -> {
                          Map<Long, Claim> byId = new HashMap<>();
                          for (KeyValue c : claims.kvs()) {
                            byId.put(idOf(c.key()), new Claim(c.createRevision(), c.lease()));
                          }
                          List<Item> out = new ArrayList<>();
                          for (KeyValue kv : items.kvs()) {
                            long id = idOf(kv.key());
                            out.add(new Item(id, kv.key(), kv.value(), byId.get(id)));
                          }
                          return new State(items.count(), claims.count(), out, items.revision());
                        }));
  }

  /** The first visible item seen by one look at the queue, and the revision to watch from. */
  private record Look(KeyValue head, long watchFrom) {}

  /**
   * Reads the claims, then as many items as there are claims plus one: whatever was claimed, the
   * first visible item is among them. Changes after the first read are watched from its revision,
   * so a claim that ends between the two reads is not missed by a taker that then waits.
   */
  private CompletionStage<Look> look(String name) {
    return client
        .prefix(claims(name))
        .thenCompose(
            claims ->
                client
                    .prefix(items(name), claims.count() + 1)
                    .thenApply(
                        items -> {
                          Set<Long> claimed = new HashSet<>();
                          for (KeyValue c : claims.kvs()) {
                            claimed.add(idOf(c.key()));
                          }
                          for (KeyValue kv : items.kvs()) {
                            if (!claimed.contains(idOf(kv.key()))) {
                              return new Look(kv, claims.revision() + 1);
                            }
                          }
                          return new Look(null, claims.revision() + 1);
                        }));
  }

  /** Deletes {@code key} only while it is the generation created at {@code createRevision}. */
  private static Command.Txn deleteIfCreatedAt(String key, long createRevision) {
    return new Command.Txn(
        List.of(
            Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, createRevision)),
        List.of(Command.Delete.key(key)),
        List.of());
  }

  /** One take: its place in the takers' line, the watch it waits on, and its outcome. */
  private final class Take {
    final String name;
    final long lease;
    final boolean tryOnce;
    final CompletableFuture<Delivery> result = new CompletableFuture<>();

    /** Completed once a failed take's line entry is removed (or there was none). */
    final CompletableFuture<Void> cleaned = new CompletableFuture<>();

    final AtomicReference<Wakeup> wakeup = new AtomicReference<>();

    /** Our key in the takers' line and its create revision, once created; null and 0 before. */
    volatile String lineKey;

    volatile long lineRevision;

    Take(String name, long lease, boolean tryOnce) {
      this.name = name;
      this.lease = lease;
      this.tryOnce = tryOnce;
    }

    /** The fast path: claim the first visible item; join the line when there is none. */
    void attempt() {
      claimFirst(
          () -> {
            if (tryOnce) {
              giveUp("queue " + name + " has no visible item");
            } else {
              joinLine();
            }
          });
    }

    /**
     * Claims the first visible item and completes the take with it; runs {@code ifEmpty} with the
     * revision to watch from when there is none. A claim lost to another taker looks again.
     */
    void claimFirst(Runnable ifEmpty) {
      claimFirst(w -> ifEmpty.run());
    }

    void claimFirst(LongConsumer ifEmpty) {
      if (result.isDone()) {
        return;
      }
      look(name)
          .thenCompose(
              look -> {
                if (look.head() == null) {
                  return CompletableFuture.completedFuture(Optional.<Long>of(look.watchFrom()));
                }
                return claim(look.head()).thenApply(claimed -> Optional.<Long>empty());
              })
          .whenComplete(
              (emptyFrom, err) -> {
                if (err != null) {
                  fail(err);
                } else if (emptyFrom.isPresent()) {
                  ifEmpty.accept(emptyFrom.get());
                }
              });
    }

    /** Claims {@code item}; completes the take, or looks again if another taker was first. */
    CompletionStage<Void> claim(KeyValue item) {
      long id = idOf(item.key());
      String claim = claimKey(name, id);
      return client
          .txn(
              new Command.Txn(
                  List.of(
                      Compare.number(
                          item.key(), Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, id),
                      Compare.number(claim, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                  List.of(
                      new Command.Put(claim, Bytes.EMPTY, lease, false),
                      Read.Range.key(item.key())),
                  List.of()))
          .thenAccept(
              r -> {
                if (!r.succeeded()) {
                  claimFirst(this::emptyAfterRace);
                  return;
                }
                KeyValue got = ((Reply.RangeReply) r.responses().get(1)).kvs().get(0);
                Delivery d =
                    new Delivery(name, id, item.key(), got.value(), r.revision(), lease, claim);
                if (result.complete(d)) {
                  leaveLine();
                } else {
                  // Gave up meanwhile: the item goes back at once, not when the lease ends.
                  client.txn(deleteIfCreatedAt(claim, r.revision()));
                }
              });
    }

    /** Lost the race for the last visible item: wait as when the queue was found empty. */
    void emptyAfterRace(long unused) {
      if (tryOnce) {
        giveUp("queue " + name + " has no visible item");
      } else if (lineKey == null) {
        joinLine();
      } else {
        headTurn();
      }
    }

    void joinLine() {
      client
          .createSequential(takers(name), Bytes.EMPTY, lease)
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                  return;
                }
                lineKey = r.kv().key();
                lineRevision = r.kv().createRevision();
                if (result.isDone()) { // gave up while the entry was being created
                  leaveLine();
                  return;
                }
                checkTurn();
              });
    }

    /** At the head of the line, takes or watches the queue; else watches the one ahead. */
    void checkTurn() {
      if (result.isDone()) {
        return;
      }
      client
          .prefix(takers(name))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                  return;
                }
                KeyValue ahead = null;
                boolean present = false;
                for (KeyValue kv : r.kvs()) {
                  if (kv.createRevision() == lineRevision) {
                    present = true;
                  } else if (kv.createRevision() < lineRevision) {
                    ahead = kv; // key order is create order: the last one before ours
                  }
                }
                if (!present) {
                  fail(lost());
                } else if (ahead == null) {
                  headTurn();
                } else {
                  watchOnce(ahead.key(), false, r.revision() + 1, this::checkTurn);
                }
              });
    }

    /**
     * At the head of the line: checks that our entry is still there (at revision K), then takes the
     * first visible item, or watches the queue from K + 1 for a push, a claim that ends, or the end
     * of our entry. Whatever woke it comes after K, so a wake-up is never seen twice.
     */
    void headTurn() {
      if (result.isDone()) {
        return;
      }
      client
          .prefix(lineKey, 1)
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                } else if (r.kvs().isEmpty() || r.kvs().get(0).createRevision() != lineRevision) {
                  fail(lost());
                } else {
                  claimFirst(lookFrom -> waitForItem(Math.min(lookFrom, r.revision() + 1)));
                }
              });
    }

    void waitForItem(long from) {
      String items = items(name);
      String claims = claims(name);
      watchOnce(
          prefix(name),
          true,
          from,
          e -> {
            String k = e.kv().key();
            if (k.equals(lineKey) && e.type() == WatchEvent.Type.DELETE) {
              return 2; // our lease ended
            }
            boolean pushed = e.type() == WatchEvent.Type.PUT && k.startsWith(items);
            boolean released = e.type() == WatchEvent.Type.DELETE && k.startsWith(claims);
            return pushed || released ? 1 : 0;
          },
          this::headTurn);
    }

    void watchOnce(String key, boolean isPrefix, long from, Runnable then) {
      watchOnce(key, isPrefix, from, e -> e.type() == WatchEvent.Type.DELETE ? 1 : 0, then);
    }

    /**
     * Watches until {@code wake} says 1 (then runs {@code then}) or 2 (our line entry is gone: the
     * lease ended); one wake-up per watch, however many events.
     */
    void watchOnce(
        String key, boolean isPrefix, long from, ToIntFunction<WatchEvent> wake, Runnable then) {
      Wakeup w = new Wakeup();
      Wakeup previous = wakeup.getAndSet(w);
      if (previous != null) {
        previous.close();
      }
      Consumer<WatchEvent> listener =
          e -> {
            int what = wake.applyAsInt(e);
            if (what != 0 && w.fire()) {
              if (what == 1) {
                then.run();
              } else {
                fail(lost());
              }
            }
          };
      Consumer<Throwable> onError =
          err -> {
            if (w.fire()) {
              fail(err);
            }
          };
      w.add(
          isPrefix
              ? client.watchPrefix(key, from, listener, onError)
              : client.watch(key, from, listener, onError));
      if (result.isDone()) { // gave up while the watch was being set up
        w.close();
      }
    }

    void giveUp(String why) {
      fail(new CairnException(ErrorCode.QUEUE_TIMEOUT, why));
    }

    void fail(Throwable err) {
      if (result.completeExceptionally(err)) {
        stopWatching();
        leaveLine();
      }
    }

    void stopWatching() {
      Wakeup w = wakeup.getAndSet(null);
      if (w != null) {
        w.close();
      }
    }

    /** Removes our line entry, if any; the taker behind it then looks again. */
    void leaveLine() {
      stopWatching();
      String k = lineKey;
      if (k == null) {
        cleaned.complete(null);
        return;
      }
      client
          .txn(deleteIfCreatedAt(k, lineRevision))
          .whenComplete((r, err) -> cleaned.complete(null));
    }

    CairnException lost() {
      return new CairnException(
          ErrorCode.LEASE_NOT_FOUND,
          "the take of lease " + lease + " from queue " + name + " ended: the lease ended");
    }
  }
}
