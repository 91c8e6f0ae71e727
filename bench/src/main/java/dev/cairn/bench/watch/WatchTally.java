package dev.cairn.bench.watch;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/**
 * What a group of watches received: per watch, the revisions delivered (bits at {@code revision -
 * r0 - 1}) and the last one; for the group, the delivery latency of every (watch, event) pair after
 * the warmup, and counts of duplicates, out-of-order and malformed deliveries, creations,
 * cancellations and errors. A group is one Cairn WebSocket connection, one group of etcd streams or
 * one ZooKeeper session. The per-watch fields are guarded by the group's monitor; the atomics and
 * {@code closed} may be read at any time.
 */
abstract class WatchTally {
  static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

  final int base;
  final int count;
  final long r0;
  final long warmupPuts;
  final BitSet[] got;
  final long[] lastRevision;
  final Histogram latency = new Histogram(MAX_MICROS, 3);
  final AtomicLong received = new AtomicLong();
  final AtomicLong created = new AtomicLong();
  final AtomicLong cancelled = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  final Map<String, Integer> cancelReasons = new ConcurrentHashMap<>();
  final List<String> errorSamples = new ArrayList<>();
  long duplicates;
  long outOfOrder;
  long malformed;
  volatile boolean closed;

  /**
   * @param base index of the group's first watch among all watches
   * @param count watches in the group, numbered 0 .. count-1 within it
   * @param r0 every acknowledged put has a revision above this
   * @param warmupPuts puts with a smaller sequence number are not timed
   */
  WatchTally(int base, int count, long r0, long warmupPuts) {
    this.base = base;
    this.count = count;
    this.r0 = r0;
    this.warmupPuts = warmupPuts;
    this.got = new BitSet[count];
    this.lastRevision = new long[count];
    for (int i = 0; i < count; i++) {
      got[i] = new BitSet();
    }
  }

  /**
   * Counts one event for watch {@code id}: put {@code seq}, sent (scheduled) at {@code sentAt},
   * applied at {@code revision}, received at {@code now}. The caller holds this group's monitor.
   */
  final void deliver(int id, long seq, long sentAt, long revision, long now) {
    long bit = revision - r0 - 1;
    if (id < 0 || id >= count || bit < 0 || bit > Integer.MAX_VALUE || seq < 0) {
      malformed++;
      return;
    }
    mark(id, revision);
    timed(seq, sentAt, now, 1);
    received.incrementAndGet();
  }

  /**
   * Marks {@code revision} (above r0) as delivered to watch {@code id}, counting a duplicate or an
   * out-of-order delivery. The caller holds this group's monitor.
   */
  final void mark(int id, long revision) {
    int bit = (int) (revision - r0 - 1);
    if (got[id].get(bit)) {
      duplicates++;
    } else {
      got[id].set(bit);
    }
    if (revision <= lastRevision[id]) {
      outOfOrder++;
    }
    lastRevision[id] = revision;
  }

  /**
   * Records the latency of put {@code seq}, sent at {@code sentAt} and received at {@code now},
   * once for each of the {@code watches} that received it, unless it belongs to the warmup. The
   * caller holds this group's monitor.
   */
  final void timed(long seq, long sentAt, long now, int watches) {
    if (seq >= warmupPuts) {
      latency.recordValueWithCount(
          Math.min(MAX_MICROS, Math.max(0, (now - sentAt) / 1000)), watches);
    }
  }

  /** The sum of {@code figure} over {@code tallies}. */
  static long sum(List<? extends WatchTally> tallies, ToLongFunction<WatchTally> figure) {
    long n = 0;
    for (WatchTally t : tallies) {
      n += figure.applyAsLong(t);
    }
    return n;
  }

  /** Connections (or streams, or sessions) of this group that closed or failed before the end. */
  long closedCount() {
    return closed ? 1 : 0;
  }

  /** Counts a cancellation sent by the server. */
  final void cancelled(String reason) {
    cancelled.incrementAndGet();
    cancelReasons.merge(reason, 1, Integer::sum);
  }

  /** Counts an error and keeps the first few descriptions. */
  final void error(String sample) {
    errors.incrementAndGet();
    synchronized (this) {
      if (errorSamples.size() < 5) {
        errorSamples.add(sample);
      }
    }
  }
}
