package dev.cairn.bench.watch;

import java.io.PrintStream;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The workload's writer: sends put {@code i} at {@code start + i * period}, open loop, from a 1 ms
 * scheduler tick, with at most {@code maxInFlight} puts outstanding (a put due beyond that leaves
 * late, and its wait counts in the latency). Records each put's acknowledged revision, the latency
 * of the puts after the warmup (due time to acknowledgement) and how late they left.
 */
final class PacedWriter {
  final WatchPeer peer;
  final int total;
  final long warmupPuts;
  final AtomicLongArray revisions;
  final LongAdder errors = new LongAdder();
  final AtomicLong measuredSent = new AtomicLong();
  final AtomicLong maxLagNanos = new AtomicLong();
  final Recorder putLatency = new Recorder(3);
  final AtomicInteger completed = new AtomicInteger();
  final CountDownLatch pacedAll = new CountDownLatch(1);
  final CompletableFuture<Void> allDone = new CompletableFuture<>();
  private final Semaphore inFlight;
  private final String pad;
  private final PrintStream log;
  volatile int next;
  volatile boolean aborted;
  private ScheduledFuture<?> tick;

  /**
   * @param total puts in all, warmup included
   * @param warmupPuts the first puts, not timed
   * @param valueSize bytes per value, at least the sequence number and send time
   */
  PacedWriter(
      WatchPeer peer, int total, long warmupPuts, int maxInFlight, int valueSize, PrintStream log) {
    this.peer = peer;
    this.total = total;
    this.warmupPuts = warmupPuts;
    this.revisions = new AtomicLongArray(total);
    this.inFlight = new Semaphore(maxInFlight);
    this.pad = "x".repeat(Math.max(0, valueSize - 32));
    this.log = log;
  }

  /** Starts pacing on {@code sched}: put i is due at {@code start + i * periodNanos}. */
  void start(ScheduledExecutorService sched, long start, long periodNanos) {
    tick =
        sched.scheduleAtFixedRate(
            () -> {
              long now = System.nanoTime();
              if (now < start) {
                return;
              }
              long due = Math.min(total, (now - start) / periodNanos + 1);
              while (!aborted && next < due && inFlight.tryAcquire()) {
                long intended = start + next * periodNanos;
                send(next++, intended);
              }
              if (next >= total || aborted) {
                pacedAll.countDown();
                tick.cancel(false);
              }
            },
            0,
            1,
            TimeUnit.MILLISECONDS);
  }

  /** Puts acknowledged so far. */
  long acked() {
    return completed.get() - errors.sum();
  }

  /** Stops pacing: no more puts are sent; true the first time. */
  synchronized boolean abort() {
    if (aborted) {
      return false;
    }
    aborted = true;
    tick.cancel(false);
    pacedAll.countDown();
    int sentSoFar = next;
    // puts never sent count as completed so that allDone can fire
    if (completed.addAndGet(total - sentSoFar) == total) {
      allDone.complete(null);
    }
    return true;
  }

  private void send(int i, long intended) {
    long sentAt = System.nanoTime();
    long lag = sentAt - intended;
    if (i >= warmupPuts && lag > maxLagNanos.get()) {
      maxLagNanos.set(lag);
    }
    if (i >= warmupPuts) {
      measuredSent.incrementAndGet();
    }
    // The scheduled send time: a put that had to wait for the server counts its wait.
    String value = i + ":" + intended + ":" + pad;
    peer.put(
        i,
        intended,
        value,
        (revision, failure) -> {
          long done = System.nanoTime();
          inFlight.release();
          if (failure == null) {
            revisions.set(i, revision);
            if (i >= warmupPuts) {
              putLatency.recordValue(Math.max(0, (done - intended) / 1000));
            }
          } else {
            errors.increment();
            if (errors.sum() <= 5) {
              log.printf("[watch] put %d failed: %s%n", i, failure);
            }
          }
          if (completed.incrementAndGet() == total) {
            allDone.complete(null);
          }
        });
  }

  /** Acknowledged revisions as bits at {@code revision - r0 - 1}. */
  BitSet ackedRevisions(long r0) {
    BitSet b = new BitSet(total);
    for (int i = 0; i < total; i++) {
      long rev = revisions.get(i);
      if (rev > r0) {
        b.set(Math.toIntExact(rev - r0 - 1));
      }
    }
    return b;
  }
}
