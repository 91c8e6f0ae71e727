package dev.cairn.recipes.barrier;

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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;

/**
 * A double barrier, after etcd's {@code recipe.DoubleBarrier} and Curator's {@code
 * DistributedDoubleBarrier}: {@link #enter} returns once {@code count} members have entered, and
 * {@link #leave} once every member that entered with them has left.
 *
 * <p>Layout under {@link #prefix(String)}: each member is a key {@code members/<lease id, 16 hex>}
 * bound to its lease, holding the member count it entered with. A <em>round</em> fills when {@code
 * count} members holding the count of the round's first member exist: the first member to see it
 * writes {@code ready} = {@code "<cutoff> <count>"}, where {@code cutoff} is the create revision of
 * the {@code count}-th of them. Exactly the members created at or before the cutoff pass; a later
 * one waits for the next round. The round ends when none of its members is left: whoever sees that
 * first (a leaver, or a member of the next round) deletes {@code ready}.
 *
 * <p>A member whose lease ends is gone: before the round fills it no longer counts; after, it has
 * left. Waiting is event-driven: members waiting to enter watch {@code ready}; a leaver watches
 * {@code ready} and one remaining member of its round (the nearest one created before it), so a
 * departure wakes only the leavers that watched it.
 */
public final class DoubleBarrier {
  /** Where every barrier lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/barriers/";

  private final CairnClient client;

  public DoubleBarrier(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * A member let through: the round it belongs to opened at {@code round} (the create revision of
   * its {@code ready} key).
   */
  public record Entered(String name, String key, long lease, int count, long round) {}

  /** A member of a barrier, entered at {@code sinceRevision} with {@code count}. */
  public record Member(String key, long lease, long sinceRevision, int count) {}

  /**
   * A barrier at {@code revision}: {@code count} the current round's member count (0 when nobody is
   * in it); {@code round} the revision it opened at, 0 while it is still filling; {@code cutoff}
   * the create revision of its last member let through, 0 while filling; {@code held} whether the
   * simple {@link Barrier} of the same name is held.
   */
  public record State(
      int count, List<Member> members, long round, long cutoff, boolean held, long revision) {
    public State {
      members = List.copyOf(members);
    }
  }

  /**
   * The key prefix of barrier {@code name}; {@code %} and {@code /} in the name are escaped ({@code
   * %25}, {@code %2F}) so no barrier's prefix covers another's keys.
   */
  public static String prefix(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F") + "/";
  }

  /** The member key of {@code lease} in barrier {@code name}. */
  public static String memberKey(String name, long lease) {
    return prefix(name) + "members/" + String.format(Locale.ROOT, "%016x", lease);
  }

  static String readyKey(String name) {
    return prefix(name) + "ready";
  }

  /** The ready key of an open round; null when absent. */
  private record Ready(long cutoff, int count, long createRevision, long modRevision) {}

  /** One read of a barrier: its ready key and its members in create order. */
  private record View(Ready ready, List<Member> members, long revision) {
    Member find(String key) {
      for (Member m : members) {
        if (m.key().equals(key)) {
          return m;
        }
      }
      return null;
    }

    List<Member> inRound() {
      return members.stream().filter(m -> m.sinceRevision() <= ready.cutoff()).toList();
    }
  }

  private static View view(String name, Reply.RangeReply r) {
    String readyKey = readyKey(name);
    Ready ready = null;
    List<Member> members = new ArrayList<>();
    for (KeyValue kv : r.kvs()) {
      if (kv.key().equals(readyKey)) {
        String[] parts = kv.value().utf8String().split(" ");
        ready =
            new Ready(
                Long.parseLong(parts[0]),
                Integer.parseInt(parts[1]),
                kv.createRevision(),
                kv.modRevision());
      } else if (kv.key().startsWith(prefix(name) + "members/")) {
        members.add(
            new Member(
                kv.key(), kv.lease(), kv.createRevision(), parseCount(kv.value().utf8String())));
      }
    }
    members.sort(Comparator.comparingLong(Member::sinceRevision));
    return new View(ready, members, r.revision());
  }

  private static int parseCount(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0; // not written by this recipe: matches no round
    }
  }

  /** The members and the current round of barrier {@code name}. */
  public CompletionStage<State> status(String name) {
    return client
        .prefix(prefix(name))
        .thenApply(
            r -> {
              View v = view(name, r);
              int count =
                  v.ready() != null
                      ? v.ready().count()
                      : v.members().isEmpty() ? 0 : v.members().get(0).count();
              return new State(
                  count,
                  v.members(),
                  v.ready() == null ? 0 : v.ready().createRevision(),
                  v.ready() == null ? 0 : v.ready().cutoff(),
                  r.kvs().stream().anyMatch(kv -> kv.key().equals(Barrier.holdKey(name))),
                  v.revision());
            });
  }

  /**
   * Enters barrier {@code name} as {@code lease}, expecting {@code count} members, and waits until
   * that many have entered.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} tries once, null waits forever. When it
   *     passes the member is withdrawn (it no longer counts) and the stage fails with {@code
   *     barrier_timeout}, unless the round filled meanwhile: then the member is let through.
   * @return the entry, or a failure: {@code count_mismatch} when the round being filled expects
   *     another count (the member is withdrawn), {@code lease_not_found} when the lease does not
   *     exist or ends while waiting
   */
  public CompletionStage<Entered> enter(String name, long lease, int count, Duration timeout) {
    if (count < 1) {
      throw new CairnException(ErrorCode.INVALID_ARGUMENT, "count must be at least 1");
    }
    Entry e = new Entry(name, lease, count, timeout != null && timeout.isZero());
    if (timeout != null && !timeout.isZero()) {
      CairnClient.Scheduled timer =
          client.schedule(
              timeout,
              () ->
                  e.giveUp(
                      "barrier " + name + " did not fill within " + timeout.toMillis() + " ms"));
      e.result.whenComplete((v, err) -> timer.cancel());
    }
    e.start();
    return e.result;
  }

  /**
   * Leaves barrier {@code name} as {@code lease}: deletes the member at once, then waits until
   * every member of its round has left (or its lease ended). A member that leaves a round that has
   * not filled yet returns at once.
   *
   * @param timeout how long to wait for the others; the member has left either way. When it passes
   *     the stage fails with {@code barrier_timeout}.
   * @return a failure {@code not_member} when {@code lease} is not a member (never entered, left
   *     already, or its lease ended)
   */
  public CompletionStage<Long> leave(String name, long lease, Duration timeout) {
    Exit x = new Exit(name, lease);
    if (timeout != null) {
      CairnClient.Scheduled timer =
          client.schedule(
              timeout,
              () ->
                  x.fail(
                      new CairnException(
                          ErrorCode.BARRIER_TIMEOUT,
                          "members of barrier "
                              + name
                              + " still inside after "
                              + timeout.toMillis()
                              + " ms; this one has left")));
      x.result.whenComplete((v, err) -> timer.cancel());
    }
    x.start();
    return x.result;
  }

  private static Command.Txn readAfter(List<Compare> compare, List<Command.TxnOp> then, String p) {
    List<Command.TxnOp> success = new ArrayList<>(then);
    success.add(Read.Range.prefix(p));
    return new Command.Txn(compare, success, List.of(Read.Range.prefix(p)));
  }

  private static Reply.RangeReply lastRange(Reply.TxnReply r) {
    return (Reply.RangeReply) r.responses().get(r.responses().size() - 1);
  }

  /** The base of a waiting enter or leave: the watches it waits on, and its outcome. */
  private abstract class Waiting<T> {
    final String name;
    final CompletableFuture<T> result = new CompletableFuture<>();
    final AtomicReference<Wakeup> wakeup = new AtomicReference<>();

    Waiting(String name) {
      this.name = name;
    }

    abstract void recheck();

    abstract void fail(Throwable err);

    /**
     * Watches {@code keys} from {@code from} until {@code wake} says 1 (then {@link #recheck}) or 2
     * (then fails with {@code lost}).
     */
    void waitFor(List<String> keys, long from, ToIntFunction<WatchEvent> wake, Throwable lost) {
      Wakeup w = new Wakeup();
      Wakeup previous = wakeup.getAndSet(w);
      if (previous != null) {
        previous.close();
      }
      for (String k : keys) {
        w.add(
            client.watch(
                k,
                from,
                e -> {
                  int what = wake.applyAsInt(e);
                  if (what != 0 && w.fire()) {
                    if (what == 1) {
                      recheck();
                    } else {
                      fail(lost);
                    }
                  }
                },
                err -> {
                  if (w.fire()) {
                    fail(err);
                  }
                }));
      }
      if (result.isDone()) { // done while the watches were being set up
        w.close();
      }
    }

    void stopWatching() {
      Wakeup w = wakeup.getAndSet(null);
      if (w != null) {
        w.close();
      }
    }

    void read() {
      if (result.isDone()) {
        return;
      }
      client
          .prefix(prefix(name))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                } else {
                  onView(view(name, r));
                }
              });
    }

    abstract void onView(View v);
  }

  /** One enter: the member key, the watches it waits on, and its outcome. */
  private final class Entry extends Waiting<Entered> {
    final long lease;
    final int count;
    final boolean tryOnce;
    final String key;

    /** Our key's create revision once it exists; 0 before. */
    volatile long myRevision;

    volatile int myCount;
    volatile boolean created;
    final AtomicBoolean withdrawing = new AtomicBoolean();
    final AtomicReference<String> pendingWhy = new AtomicReference<>();

    Entry(String name, long lease, int count, boolean tryOnce) {
      super(name);
      this.lease = lease;
      this.count = count;
      this.tryOnce = tryOnce;
      this.key = memberKey(name, lease);
    }

    void start() {
      client
          .txn(
              readAfter(
                  List.of(Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                  List.of(new Command.Put(key, Bytes.utf8(Integer.toString(count)), lease, false)),
                  prefix(name)))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  result.completeExceptionally(err);
                  return;
                }
                created = r.succeeded();
                View v = view(name, lastRange(r));
                Member me = v.find(key);
                if (me == null) {
                  result.completeExceptionally(lost());
                  return;
                }
                myRevision = me.sinceRevision();
                myCount = me.count();
                if (!created && myCount != count) {
                  result.completeExceptionally(mismatch(myCount)); // not ours to withdraw
                  return;
                }
                if (withdrawing.get()) { // timed out while the key was being created
                  withdraw();
                  return;
                }
                onView(v);
              });
    }

    @Override
    void recheck() {
      read();
    }

    @Override
    void onView(View v) {
      if (result.isDone() || withdrawing.get()) {
        return;
      }
      Member me = v.find(key);
      if (me == null || me.sinceRevision() != myRevision) {
        fail(lost());
        return;
      }
      Ready ready = v.ready();
      if (ready != null) {
        if (myRevision <= ready.cutoff()) {
          if (myCount == ready.count()) {
            pass(ready);
          } else {
            fail(mismatch(ready.count()));
          }
          return;
        }
        List<Member> left = v.inRound();
        if (left.isEmpty()) {
          closeRound(ready);
          return;
        }
        if (tryOnce) {
          giveUp("barrier " + name + " is full; its next round has not filled");
          return;
        }
        // The round before ours is still inside: wait for it to end.
        waitFor(
            List.of(readyKey(name), nearest(left, myRevision).key(), key),
            v.revision() + 1,
            e -> e.type() != WatchEvent.Type.DELETE ? 0 : e.kv().key().equals(key) ? 2 : 1,
            lost());
        return;
      }
      int roundCount = v.members().get(0).count();
      if (myCount != roundCount) {
        fail(mismatch(roundCount));
        return;
      }
      List<Member> matching = v.members().stream().filter(m -> m.count() == roundCount).toList();
      if (matching.size() >= roundCount) {
        long cutoff = matching.get(roundCount - 1).sinceRevision();
        String readyKey = readyKey(name);
        client
            .txn(
                readAfter(
                    List.of(
                        Compare.number(
                            readyKey, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                    List.of(
                        new Command.Put(readyKey, Bytes.utf8(cutoff + " " + roundCount), 0, false)),
                    prefix(name)))
            .whenComplete(
                (r, err) -> {
                  if (err != null) {
                    fail(err);
                  } else {
                    onView(view(name, lastRange(r)));
                  }
                });
        return;
      }
      if (tryOnce) {
        giveUp("barrier " + name + " has " + matching.size() + " of " + roundCount + " members");
        return;
      }
      waitFor(
          List.of(readyKey(name), key),
          v.revision() + 1,
          e ->
              e.kv().key().equals(key)
                  ? (e.type() == WatchEvent.Type.DELETE ? 2 : 0)
                  : (e.type() == WatchEvent.Type.PUT ? 1 : 0),
          lost());
    }

    /** The round before ours has nobody left: end it, then look again. */
    void closeRound(Ready ready) {
      String readyKey = readyKey(name);
      client
          .txn(
              readAfter(
                  List.of(
                      Compare.number(
                          readyKey,
                          Compare.Target.CREATE_REVISION,
                          Compare.Op.EQUAL,
                          ready.createRevision())),
                  List.of(Command.Delete.key(readyKey)),
                  prefix(name)))
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                } else {
                  onView(view(name, lastRange(r)));
                }
              });
    }

    void pass(Ready ready) {
      if (result.complete(new Entered(name, key, lease, myCount, ready.createRevision()))) {
        stopWatching();
      }
    }

    void giveUp(String why) {
      if (result.isDone()) {
        return;
      }
      pendingWhy.compareAndSet(null, why);
      if (!withdrawing.compareAndSet(false, true)) {
        return;
      }
      stopWatching();
      if (myRevision != 0) {
        withdraw(); // else start() withdraws once the key exists
      }
    }

    /**
     * Withdraws our member unless the round took it meanwhile: deletes our key only while {@code
     * ready} is as read, then fails with {@code barrier_timeout}; if the round did take us, passes.
     */
    void withdraw() {
      client
          .prefix(prefix(name))
          .thenCompose(
              r -> {
                View v = view(name, r);
                Member me = v.find(key);
                Ready ready = v.ready();
                if (me != null
                    && me.sinceRevision() == myRevision
                    && ready != null
                    && myRevision <= ready.cutoff()
                    && myCount == ready.count()) {
                  result.complete(new Entered(name, key, lease, myCount, ready.createRevision()));
                  return CompletableFuture.completedFuture(true);
                }
                if (!created) {
                  return CompletableFuture.completedFuture(true);
                }
                return client
                    .txn(
                        new Command.Txn(
                            List.of(
                                Compare.number(
                                    readyKey(name),
                                    Compare.Target.MOD_REVISION,
                                    Compare.Op.EQUAL,
                                    ready == null ? 0 : ready.modRevision()),
                                Compare.number(
                                    key,
                                    Compare.Target.CREATE_REVISION,
                                    Compare.Op.EQUAL,
                                    myRevision)),
                            List.of(Command.Delete.key(key)),
                            List.of(Read.Range.key(key))))
                    .thenApply(
                        t ->
                            t.succeeded()
                                // Gone already (its lease ended): nothing to withdraw.
                                || ((Reply.RangeReply) t.responses().get(0))
                                    .kvs().stream()
                                        .noneMatch(kv -> kv.createRevision() == myRevision));
              })
          .whenComplete(
              (done, err) -> {
                if (err != null) {
                  result.completeExceptionally(err);
                } else if (!done) {
                  withdraw(); // ready changed meanwhile: decide again
                } else {
                  String why = pendingWhy.get();
                  result.completeExceptionally(
                      new CairnException(
                          ErrorCode.BARRIER_TIMEOUT,
                          why == null ? "barrier " + name + " did not fill" : why));
                }
              });
    }

    @Override
    void fail(Throwable err) {
      if (err instanceof CairnException c
          && c.code() == ErrorCode.COUNT_MISMATCH
          && withdrawing.compareAndSet(false, true)) {
        // Withdraw first, so that a mismatched member never counts; then report the mismatch.
        stopWatching();
        withdrawThen(err);
        return;
      }
      if (result.completeExceptionally(err)) {
        stopWatching();
      }
    }

    void withdrawThen(Throwable err) {
      if (!created) {
        result.completeExceptionally(err);
        return;
      }
      client
          .txn(
              new Command.Txn(
                  List.of(
                      Compare.number(
                          key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, myRevision)),
                  List.of(Command.Delete.key(key)),
                  List.of()))
          .whenComplete((r, e) -> result.completeExceptionally(err));
    }

    CairnException mismatch(int expected) {
      return new CairnException(
          ErrorCode.COUNT_MISMATCH,
          "barrier "
              + name
              + " is being filled with a count of "
              + expected
              + "; this member asked for "
              + count);
    }

    CairnException lost() {
      return new CairnException(
          ErrorCode.LEASE_NOT_FOUND,
          "the member of lease " + lease + " in barrier " + name + " is gone: the lease ended");
    }
  }

  /** The member of {@code round} nearest before {@code revision}, else the first after it. */
  private static Member nearest(List<Member> round, long revision) {
    Member best = null;
    for (Member m : round) {
      if (m.sinceRevision() < revision) {
        best = m;
      }
    }
    return best != null ? best : round.get(0);
  }

  /** One leave: deletes the member, then waits for its round to end. */
  private final class Exit extends Waiting<Long> {
    final long lease;
    final String key;
    volatile long myRevision;
    volatile long round;

    Exit(String name, long lease) {
      super(name);
      this.lease = lease;
      this.key = memberKey(name, lease);
    }

    void start() {
      client
          .prefix(prefix(name))
          .thenCompose(
              r -> {
                View v = view(name, r);
                Member me = v.find(key);
                if (me == null) {
                  throw notMember();
                }
                myRevision = me.sinceRevision();
                Ready ready = v.ready();
                round = ready != null && myRevision <= ready.cutoff() ? ready.createRevision() : 0;
                return client.txn(
                    readAfter(
                        List.of(
                            Compare.number(
                                key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, myRevision)),
                        List.of(Command.Delete.key(key)),
                        prefix(name)));
              })
          .whenComplete(
              (r, err) -> {
                if (err != null) {
                  fail(err);
                } else if (!r.succeeded()) {
                  fail(notMember());
                } else if (round == 0) {
                  result.complete(r.revision()); // its round had not filled: nobody to wait for
                } else {
                  onView(view(name, lastRange(r)));
                }
              });
    }

    @Override
    void recheck() {
      read();
    }

    @Override
    void onView(View v) {
      if (result.isDone()) {
        return;
      }
      Ready ready = v.ready();
      if (ready == null || ready.createRevision() != round) {
        result.complete(v.revision()); // the round ended
        return;
      }
      List<Member> left = v.inRound();
      if (left.isEmpty()) {
        String readyKey = readyKey(name);
        client
            .txn(
                new Command.Txn(
                    List.of(
                        Compare.number(
                            readyKey, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, round)),
                    List.of(Command.Delete.key(readyKey)),
                    List.of()))
            .whenComplete(
                (r, err) -> {
                  if (err != null) {
                    fail(err);
                  } else {
                    result.complete(r.revision());
                  }
                });
        return;
      }
      waitFor(
          List.of(readyKey(name), nearest(left, myRevision).key()),
          v.revision() + 1,
          e -> e.type() == WatchEvent.Type.DELETE ? 1 : 0,
          null);
    }

    @Override
    void fail(Throwable err) {
      if (result.completeExceptionally(err)) {
        stopWatching();
      }
    }

    CairnException notMember() {
      return new CairnException(
          ErrorCode.NOT_MEMBER,
          "lease "
              + lease
              + " is not a member of barrier "
              + name
              + ": it never entered, has left, or its lease ended");
    }
  }
}
