package dev.cairn.core;

/**
 * The explicit limits of a keyspace. They are checked in {@code decide}, so every node enforces the
 * same ones for the same command.
 *
 * @param maxKeyBytes largest key, in UTF-8 bytes
 * @param maxValueBytes largest value
 * @param maxTxnOps most operations (compares + success + failure) in one transaction
 * @param minTtlSeconds shortest lease TTL
 * @param maxTtlSeconds longest lease TTL
 */
public record Limits(
    int maxKeyBytes, int maxValueBytes, int maxTxnOps, long minTtlSeconds, long maxTtlSeconds) {
  public static final Limits DEFAULT = new Limits(4096, 1024 * 1024, 128, 1, 7 * 24 * 3600);

  public Limits {
    if (maxKeyBytes <= 0 || maxValueBytes < 0 || maxTxnOps <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
    if (minTtlSeconds <= 0 || maxTtlSeconds < minTtlSeconds) {
      throw new IllegalArgumentException("need 0 < minTtlSeconds <= maxTtlSeconds");
    }
  }
}
