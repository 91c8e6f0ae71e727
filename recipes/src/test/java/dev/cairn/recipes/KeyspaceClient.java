package dev.cairn.recipes;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Decision;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link CairnClient} over core's state machine in this JVM: decide, apply, and watch events
 * delivered in revision order on one thread. Lets recipe tests run without a server. Counts the
 * watches opened so tests can prove a waiter watches only its predecessor.
 */
public final class KeyspaceClient implements CairnClient, AutoCloseable {
  private final Keyspace keyspace = new Keyspace(Limits.DEFAULT);
  private final KeyspaceState state = KeyspaceState.empty(true);
  private final ExecutorService delivery = Executors.newSingleThreadExecutor();
  private final List<Sub> subs = new ArrayList<>();
  public final AtomicLong watchesOpened = new AtomicLong();

  /** Reads ({@link #get}, {@link #prefix}) and transactions ({@link #txn}) asked for so far. */
  public final AtomicLong reads = new AtomicLong();

  public final AtomicLong txns = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  /** Timers recipes set with {@link #schedule}, cancelled, and run. */
  public final AtomicLong timersScheduled = new AtomicLong();

  public final AtomicLong timersCancelled = new AtomicLong();
  public final AtomicLong timersRun = new AtomicLong();

  /** A watch of {@code key}, or of every key from it up to {@code rangeEnd} when not null. */
  private record Sub(
      String key, String rangeEnd, Consumer<WatchEvent> listener, boolean[] cancelled) {
    boolean matches(String k) {
      return rangeEnd == null ? key.equals(k) : KeyRange.contains(key, rangeEnd, k);
    }
  }

  private synchronized Reply run(Command c) {
    Decision d = keyspace.decide(state, c);
    if (d instanceof Decision.Rejected r) {
      throw new CairnException(r.rejection().code(), r.rejection().toString());
    }
    Decision.Accepted a = (Decision.Accepted) d;
    for (Event e : a.events()) {
      Keyspace.apply(state, e, this::publish);
    }
    return a.reply();
  }

  private void publish(WatchEvent e) {
    for (Sub s : List.copyOf(subs)) {
      if (s.matches(e.kv().key())) {
        delivery.execute(() -> deliver(s, e));
      }
    }
  }

  private static void deliver(Sub s, WatchEvent e) {
    synchronized (s.cancelled()) {
      if (!s.cancelled()[0]) {
        s.listener().accept(e);
      }
    }
  }

  private <T> CompletionStage<T> async(java.util.function.Supplier<T> f) {
    return CompletableFuture.supplyAsync(f);
  }

  /** Expires {@code lease} now, as the leader's timer would. */
  public void expire(long lease) {
    run(new Command.ExpireLease(lease));
  }

  @Override
  public CompletionStage<Optional<KeyValue>> get(String key) {
    return prefixOrKey(Read.Range.key(key)).thenApply(r -> r.kvs().stream().findFirst());
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix) {
    return prefixOrKey(Read.Range.prefix(prefix));
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix, long limit) {
    return prefixOrKey(new Read.Range(prefix, KeyRange.prefixEnd(prefix), limit, 0, false, false));
  }

  private CompletionStage<Reply.RangeReply> prefixOrKey(Read.Range r) {
    reads.incrementAndGet();
    return async(
        () -> {
          synchronized (this) {
            return (Reply.RangeReply) keyspace.query(state, r);
          }
        });
  }

  @Override
  public CompletionStage<Reply.PutReply> put(String key, Bytes value, long lease) {
    return async(() -> (Reply.PutReply) run(new Command.Put(key, value, lease, false)));
  }

  @Override
  public CompletionStage<Reply.PutReply> createSequential(String prefix, Bytes value, long lease) {
    return async(() -> (Reply.PutReply) run(new Command.CreateSequential(prefix, value, lease)));
  }

  @Override
  public CompletionStage<Reply.DeleteReply> delete(String key) {
    return async(() -> (Reply.DeleteReply) run(Command.Delete.key(key)));
  }

  @Override
  public CompletionStage<Reply.TxnReply> txn(Command.Txn txn) {
    txns.incrementAndGet();
    return async(() -> (Reply.TxnReply) run(txn));
  }

  @Override
  public CompletionStage<Long> grantLease(long ttlSeconds) {
    return async(() -> ((Reply.LeaseGrantReply) run(new Command.GrantLease(0, ttlSeconds))).id());
  }

  @Override
  public CompletionStage<Long> keepAlive(long lease) {
    return async(
        () -> {
          synchronized (this) {
            if (!state.hasLease(lease)) {
              throw new CairnException(dev.cairn.core.ErrorCode.LEASE_NOT_FOUND, "no lease");
            }
            return state.leaseTtl(lease);
          }
        });
  }

  @Override
  public CompletionStage<List<String>> revokeLease(long lease) {
    return async(
        () -> ((Reply.LeaseRevokeReply) run(new Command.RevokeLease(lease))).deletedKeys());
  }

  @Override
  public Watch watch(
      String key, long fromRevision, Consumer<WatchEvent> listener, Consumer<Throwable> onError) {
    return watch(key, null, fromRevision, listener, onError);
  }

  @Override
  public Watch watchPrefix(
      String prefix,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError) {
    return watch(prefix, KeyRange.prefixEnd(prefix), fromRevision, listener, onError);
  }

  private synchronized Watch watch(
      String key,
      String rangeEnd,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError) {
    watchesOpened.incrementAndGet();
    Sub s = new Sub(key, rangeEnd, listener, new boolean[1]);
    Reply r =
        keyspace.query(state, new Read.History(key, rangeEnd, fromRevision, Integer.MAX_VALUE));
    if (r instanceof Reply.Rejected rej) {
      delivery.execute(
          () -> onError.accept(new CairnException(rej.code(), rej.rejection().toString())));
    } else {
      for (WatchEvent e : ((Reply.HistoryReply) r).events()) {
        delivery.execute(() -> deliver(s, e));
      }
    }
    subs.add(s);
    return () -> {
      synchronized (s.cancelled()) {
        s.cancelled()[0] = true;
      }
      synchronized (KeyspaceClient.this) {
        subs.remove(s);
      }
    };
  }

  /** On a timer thread of this client's, counted. */
  @Override
  public Scheduled schedule(java.time.Duration delay, Runnable task) {
    timersScheduled.incrementAndGet();
    java.util.concurrent.ScheduledFuture<?> f =
        timer.schedule(
            () -> {
              timersRun.incrementAndGet();
              task.run();
            },
            delay.toNanos(),
            java.util.concurrent.TimeUnit.NANOSECONDS);
    return () -> {
      if (f.cancel(false)) {
        timersCancelled.incrementAndGet();
      }
    };
  }

  @Override
  public void close() {
    timer.shutdownNow();
    delivery.shutdownNow();
  }
}
