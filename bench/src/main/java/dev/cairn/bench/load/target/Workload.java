package dev.cairn.bench.load.target;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The key space and the value: {@code keys} keys named {@code prefix + %07d}, each written with the
 * same {@code valueSize}-byte value of printable ASCII (so JSON encodings of it cost the same on
 * every target).
 *
 * @param keyPrefix prefix of every key, e.g. {@code bench/k}
 * @param keys number of distinct keys
 * @param value the bytes written by every put
 */
public record Workload(String keyPrefix, int keys, byte[] value) {

  private static final byte[] ALPHABET =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
          .getBytes(StandardCharsets.US_ASCII);

  public Workload {
    if (keys <= 0) {
      throw new IllegalArgumentException("keys must be positive: " + keys);
    }
    if (keyPrefix.isEmpty() || keyPrefix.startsWith("/")) {
      throw new IllegalArgumentException("key prefix must be non-empty and relative: " + keyPrefix);
    }
  }

  /** A workload whose value is {@code valueSize} pseudo-random printable bytes (fixed seed). */
  public static Workload of(String keyPrefix, int keys, int valueSize) {
    if (valueSize < 0) {
      throw new IllegalArgumentException("value size must not be negative: " + valueSize);
    }
    SplittableRandom random = new SplittableRandom(42);
    byte[] value = new byte[valueSize];
    for (int i = 0; i < valueSize; i++) {
      value[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return new Workload(keyPrefix, keys, value);
  }

  public int valueSize() {
    return value.length;
  }

  /** The name of key {@code index}, e.g. {@code bench/k0000042}. */
  public String key(int index) {
    if (index < 0 || index >= keys) {
      throw new IndexOutOfBoundsException(index);
    }
    return keyPrefix + String.format("%07d", index);
  }
}
