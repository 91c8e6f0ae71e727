package dev.cairn.bench.lease;

import dev.cairn.bench.cli.Cli;
import java.io.PrintStream;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * HTTP keepalives of Cairn leases: {@code clients} workers, one request in flight each. Worker c
 * owns leases c, c+C, c+2C, ... (m of them) and goes round them: paced, its k-th keepalive renews
 * its lease k mod m at {@code granted + (k / m + 1) * period}, so renewals start while later leases
 * are still being granted; closed loop, at once.
 */
final class HttpKeepalives {
  record Window(long count, double seconds, Histogram latency) {
    double rate() {
      return count / seconds;
    }
  }

  final CairnLeases api;
  final int clients;
  final PrintStream log;
  final AtomicLongArray ids;
  final AtomicLongArray grantedAt;
  final long periodNanos;
  final AtomicLongArray lastRenew;
  final LongAdder errors = new LongAdder();
  final LongAdder notFound = new LongAdder();
  final LongAdder done = new LongAdder();
  final AtomicLong maxLagNanos = new AtomicLong();
  final AtomicLong maxGapNanos = new AtomicLong();
  final Recorder latency = new Recorder(TimeUnit.MINUTES.toMicros(5), 3);
  final ScheduledExecutorService sched = Cli.daemonScheduler("keepalive-pacer");
  final AtomicLong running = new AtomicLong();
  volatile boolean grantsDone;
  volatile boolean stopped;
  volatile long generation;

  /**
   * @param ids the leases' ids by index, filled in as they are granted (0: not yet, or failed)
   * @param grantedAt when each lease was granted (System.nanoTime)
   * @param periodNanos how often each lease is renewed when paced
   */
  HttpKeepalives(
      CairnLeases api,
      int clients,
      AtomicLongArray ids,
      AtomicLongArray grantedAt,
      long periodNanos,
      PrintStream log) {
    this.api = api;
    this.clients = clients;
    this.log = log;
    this.ids = ids;
    this.grantedAt = grantedAt;
    this.periodNanos = periodNanos;
    this.lastRenew = new AtomicLongArray(ids.length());
  }

  void startPaced() {
    start(true);
  }

  void startClosedLoop() {
    start(false);
  }

  private void start(boolean paced) {
    stopped = false;
    long gen = ++generation;
    for (int c = 0; c < clients; c++) {
      int m = (ids.length() - c + clients - 1) / clients;
      if (m <= 0) {
        continue;
      }
      running.incrementAndGet();
      next(gen, paced, c, m, 0);
    }
  }

  void stop() {
    stopped = true;
  }

  void awaitIdle() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (running.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  void resetWindow() {
    latency.getIntervalHistogram();
    done.reset();
  }

  Window window(double seconds) {
    return new Window(done.sum(), seconds, latency.getIntervalHistogram());
  }

  /** Worker c's k-th keepalive. */
  private void next(long gen, boolean paced, int c, int m, long k) {
    if (stopped || gen != generation) {
      running.decrementAndGet();
      return;
    }
    int idx = (int) (c + (k % m) * clients);
    long id = ids.get(idx);
    if (id <= 0) {
      if (grantsDone) { // that grant failed: skip the lease
        sched.execute(() -> next(gen, paced, c, m, k + 1));
      } else { // not granted yet
        sched.schedule(() -> next(gen, paced, c, m, k), 5, TimeUnit.MILLISECONDS);
      }
      return;
    }
    if (k < m) {
      lastRenew.compareAndSet(idx, 0, grantedAt.get(idx));
    }
    long now = System.nanoTime();
    long due = paced ? grantedAt.get(idx) + (k / m + 1) * periodNanos : now;
    if (due > now) {
      sched.schedule(
          () -> send(gen, paced, c, m, k, idx, id, due), due - now, TimeUnit.NANOSECONDS);
    } else {
      send(gen, paced, c, m, k, idx, id, due);
    }
  }

  private void send(long gen, boolean paced, int c, int m, long k, int idx, long id, long due) {
    long sentAt = System.nanoTime();
    if (paced) {
      maxLag(maxLagNanos, sentAt - due);
    }
    maxLag(maxGapNanos, sentAt - lastRenew.get(idx));
    api.keepalive(id)
        .whenComplete(
            (r, e) -> {
              long end = System.nanoTime();
              if (e == null && r.ok()) {
                lastRenew.set(idx, sentAt);
                latency.recordValue(Math.min(TimeUnit.MINUTES.toMicros(5), (end - sentAt) / 1000));
                done.increment();
              } else {
                errors.increment();
                if (r != null && r.status() == 404) {
                  notFound.increment();
                }
                if (errors.sum() <= 5) {
                  log.printf("[lease] keepalive %d failed: %s%n", id, e != null ? e : r.describe());
                }
              }
              next(gen, paced, c, m, k + 1);
            });
  }

  private static void maxLag(AtomicLong max, long v) {
    max.accumulateAndGet(v, Math::max);
  }
}
