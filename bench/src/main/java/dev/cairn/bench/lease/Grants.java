package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** Grants leases over HTTP, Cairn's or etcd's, with a bounded number of grants in flight. */
final class Grants {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private Grants() {}

  /**
   * Sends {@code grant} {@code ids.length()} times with at most {@code concurrency} in flight and
   * waits for all answers. Lease i's id (JSON field {@code idField} of the answer) goes to {@code
   * ids[i]} and its grant time (System.nanoTime) to {@code grantedAt[i]}; a failed grant leaves
   * both 0 and is counted, the first five described on {@code log} as {@code what} failed.
   */
  static void grantAll(
      HttpTransport http,
      HttpCall grant,
      String idField,
      AtomicLongArray ids,
      AtomicLongArray grantedAt,
      int concurrency,
      String what,
      PrintStream log)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    LongAdder failed = new LongAdder();
    for (int i = 0; i < ids.length(); i++) {
      inFlight.acquire();
      int idx = i;
      http.request(grant, TIMEOUT)
          .whenComplete(
              (r, e) -> {
                long id = e == null && r.ok() ? JsonScan.number(r.text(), idField, 0, -1) : -1;
                if (id > 0) {
                  grantedAt.set(idx, System.nanoTime());
                  ids.set(idx, id);
                } else {
                  failed.increment();
                  if (failed.sum() <= 5) {
                    log.printf("[lease] %s failed: %s%n", what, e != null ? e : r.describe());
                  }
                }
                inFlight.release();
              });
    }
    inFlight.acquire(concurrency);
    inFlight.release(concurrency);
  }
}
