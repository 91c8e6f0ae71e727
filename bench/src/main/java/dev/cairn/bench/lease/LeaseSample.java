package dev.cairn.bench.lease;

import java.util.Map;

/**
 * The expiry check's sample: leases looked up one by one after the hold, how many of them were
 * gone, and the least time to live left among those found.
 */
final class LeaseSample {
  private long sampled;
  private long missing;
  private long minTtl = Long.MAX_VALUE;

  /** A sampled lease was found with {@code ttl} seconds left. */
  void found(long ttl) {
    sampled++;
    minTtl = Math.min(minTtl, ttl);
  }

  /** A sampled lease was gone; true for the first few, which are worth describing. */
  boolean gone() {
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
