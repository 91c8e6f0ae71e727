package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.report.Figures;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code LeaseKeepalive --mode etcd}, the renewals: {@code --clients} renewers each own every C-th
 * lease and, once per {@code --renew-every}, renew all their granted leases in keepalive requests
 * of up to {@code --batch} leases (see {@link EtcdLeaseApi}), one request in flight per renewer.
 * Renewals start with the grants, as in the HTTP mode, so a long grant phase does not expire the
 * first leases. Counts leases renewed, requests, errors, leases not found, the latency of the
 * requests, how late the renewers ran and the longest gap between two renewals of one lease.
 */
final class EtcdRenewers {
  private final EtcdLeaseApi api;
  private final int leases;
  private final int ttl;
  private final int clients;
  private final int batch;
  private final int grantConcurrency;
  private final long renewNanos;
  private final PrintStream log;

  final AtomicLongArray ids;
  final AtomicLongArray lastRenew;
  final LongAdder renewed = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder notFound = new LongAdder();
  final AtomicLong maxLagNanos = new AtomicLong();
  final AtomicLong maxGapNanos = new AtomicLong();
  final Recorder latency = new Recorder(TimeUnit.MINUTES.toMicros(5), 3);
  private final List<Thread> renewers = new ArrayList<>();
  private volatile boolean stopped;

  EtcdRenewers(
      EtcdLeaseApi api,
      int leases,
      int ttl,
      int clients,
      int batch,
      int grantConcurrency,
      Duration renewEvery,
      PrintStream log) {
    this.api = api;
    this.leases = leases;
    this.ttl = ttl;
    this.clients = clients;
    this.batch = batch;
    this.grantConcurrency = grantConcurrency;
    this.renewNanos = renewEvery.toNanos();
    this.log = log;
    this.ids = new AtomicLongArray(leases);
    this.lastRenew = new AtomicLongArray(leases);
  }

  /** Grants the leases; renewals run meanwhile. Returns the seconds it took. */
  double grant() throws InterruptedException {
    for (int c = 0; c < clients; c++) {
      int first = c;
      Thread t = new Thread(() -> renewLoop(first), "etcd-renewer-" + c);
      t.setDaemon(true);
      renewers.add(t);
      t.start();
    }
    long t0 = System.nanoTime();
    api.grantAll(ids, lastRenew, ttl, grantConcurrency);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Renewer c: leases c, c+C, ...; one pass per period, batches of --batch, one at a time. */
  private void renewLoop(int c) {
    long[] batchIds = new long[batch];
    int[] batchIdx = new int[batch];
    long next = System.nanoTime() + renewNanos;
    while (!stopped) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      maxOf(maxLagNanos, -wait);
      next += renewNanos;
      int n = 0;
      for (int idx = c; idx < leases && !stopped; idx += clients) {
        long id = ids.get(idx);
        if (id <= 0) {
          continue; // not granted (yet)
        }
        batchIds[n] = id;
        batchIdx[n++] = idx;
        if (n == batch) {
          send(batchIds, batchIdx, n);
          n = 0;
        }
      }
      if (n > 0 && !stopped) {
        send(batchIds, batchIdx, n);
      }
    }
  }

  private void send(long[] batchIds, int[] batchIdx, int n) {
    long sentAt = System.nanoTime();
    for (int i = 0; i < n; i++) {
      maxOf(maxGapNanos, sentAt - lastRenew.get(batchIdx[i]));
    }
    try {
      HttpAnswer r = api.keepalive(batchIds, n);
      long end = System.nanoTime();
      requests.increment();
      if (!r.ok()) {
        error("keepalive: " + r.describe());
        return;
      }
      latency.recordValue(Math.min(TimeUnit.MINUTES.toMicros(5), (end - sentAt) / 1000));
      long[] answers = EtcdLeaseApi.keepaliveAnswers(r.text(), batchIds, n);
      for (int i = 0; i < n; i++) {
        if (answers[i] > 0) {
          lastRenew.set(batchIdx[i], sentAt);
          renewed.increment();
        } else if (answers[i] == 0) {
          notFound.increment();
          error("keepalive: lease " + batchIds[i] + " not found");
        } else {
          error("keepalive: no answer for lease " + batchIds[i]);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    } catch (Exception e) {
      error("keepalive: " + e);
    }
  }

  private void error(String what) {
    errors.increment();
    if (errors.sum() <= 5) {
      log.printf("[lease] %s%n", what);
    }
  }

  private static void maxOf(AtomicLong max, long v) {
    max.accumulateAndGet(v, Math::max);
  }

  /** Renewals of single leases and requests since the last call, and their latency. */
  Histogram latencySinceLast() {
    return latency.getIntervalHistogram();
  }

  void stop() throws InterruptedException {
    stopped = true;
    for (Thread t : renewers) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(40));
    }
  }

  long granted() {
    long n = 0;
    for (int i = 0; i < leases; i++) {
      n += ids.get(i) > 0 ? 1 : 0;
    }
    return n;
  }

  /** Adds the keepalive figures of a window of {@code seconds}. */
  void describeWindow(Map<String, Object> j, double seconds, long renewedInWindow, long reqs) {
    Histogram h = latencySinceLast();
    j.put("keepalives_per_sec", Figures.round(renewedInWindow / seconds, 1));
    j.put("keepalive_requests_per_sec", Figures.round(reqs / seconds, 1));
    j.put("keepalives_needed_per_sec", Figures.round(leases / (renewNanos / 1e9), 1));
    j.put("keepalive_p50_ms", Figures.ms(h, 50));
    j.put("keepalive_p99_ms", Figures.ms(h, 99));
    j.put("keepalive_max_ms", Figures.ms(h, 100));
    j.put("keepalive_errors", errors.sum());
    j.put("schedule_lag_max_s", Figures.round(maxLagNanos.get() / 1e9, 3));
    j.put("renewal_gap_max_s", Figures.round(maxGapNanos.get() / 1e9, 3));
  }
}
