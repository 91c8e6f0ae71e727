package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * The expiry check's sample: leases looked up one by one after the hold, how many of them were
 * gone, and the least time to live left among those found.
 */
final class LeaseSample {
  private long sampled;
  private long missing;
  private long minTtl = Long.MAX_VALUE;

  /**
   * Looks up to {@code sample} random granted leases of {@code ids} with {@code lookup(id)}; {@code
   * ttlOf} reads the time to live left from an answer, negative when the lease is gone. The first
   * missing leases and every failed lookup are described on {@code log}.
   */
  static LeaseSample take(
      HttpTransport http,
      AtomicLongArray ids,
      int sample,
      LongFunction<HttpCall> lookup,
      ToLongFunction<HttpAnswer> ttlOf,
      PrintStream log) {
    LeaseSample result = new LeaseSample();
    for (int s = 0; s < Math.min(sample, ids.length()); s++) {
      long id = ids.get(ThreadLocalRandom.current().nextInt(ids.length()));
      if (id <= 0) {
        continue;
      }
      HttpCall call = lookup.apply(id);
      try {
        HttpAnswer r = http.exchange(call, Duration.ofSeconds(30));
        long ttl = ttlOf.applyAsLong(r);
        if (ttl >= 0) {
          result.found(ttl);
        } else if (result.gone()) {
          log.printf("[lease] %s %s: %s%n", call.method(), call.path(), r.describe());
        }
      } catch (Exception e) {
        log.printf("[lease] %s %s failed: %s%n", call.method(), call.path(), e);
      }
    }
    return result;
  }

  /**
   * The expiry check's list: how many {@code entry} objects the answer to {@code list} holds, or -1
   * (described on {@code log}) when there is no such answer.
   */
  static long listed(HttpTransport http, HttpCall list, String entry, PrintStream log) {
    try {
      HttpAnswer r = http.exchange(list, Duration.ofSeconds(30));
      if (!r.ok()) {
        log.printf("[lease] %s %s: %s%n", list.method(), list.path(), r.describe());
        return -1;
      }
      return JsonScan.occurrences(r.text(), entry);
    } catch (Exception e) {
      log.printf("[lease] %s %s failed: %s%n", list.method(), list.path(), e);
      return -1;
    }
  }

  private void found(long ttl) {
    sampled++;
    minTtl = Math.min(minTtl, ttl);
  }

  /** A sampled lease was gone; true for the first few, which are worth describing. */
  private boolean gone() {
    sampled++;
    missing++;
    return missing <= 3;
  }

  /** Sampled leases that were gone. */
  long missing() {
    return missing;
  }

  /** Adds {@code sampled}, {@code sampled_missing} and {@code sampled_min_ttl_s}. */
  void describe(Map<String, Object> j) {
    j.put("sampled", sampled);
    j.put("sampled_missing", missing);
    j.put("sampled_min_ttl_s", minTtl == Long.MAX_VALUE ? null : minTtl);
  }
}
