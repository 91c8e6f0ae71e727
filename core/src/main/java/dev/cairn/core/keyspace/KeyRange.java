package dev.cairn.core.keyspace;

/**
 * Helpers for the range convention used by {@link Command.Delete} and {@link Read.Range}: a {@code
 * rangeEnd} of {@code null} means the single key, {@link #UNBOUNDED} means every key from {@code
 * key} on, anything else is an exclusive upper bound in {@link String#compareTo} order.
 */
public final class KeyRange {
  /** The {@code rangeEnd} that means "no upper bound". Nothing sorts below it, so it is free. */
  public static final String UNBOUNDED = "";

  private KeyRange() {}

  /** The smallest string greater than every string starting with {@code prefix}. */
  public static String prefixEnd(String prefix) {
    int end = prefix.length();
    while (end > 0 && prefix.charAt(end - 1) == Character.MAX_VALUE) {
      end--;
    }
    if (end == 0) {
      return UNBOUNDED;
    }
    return prefix.substring(0, end - 1) + (char) (prefix.charAt(end - 1) + 1);
  }

  /** True when {@code candidate} lies in the range {@code [key, rangeEnd)} (or equals key). */
  public static boolean contains(String key, String rangeEnd, String candidate) {
    if (rangeEnd == null) {
      return key.equals(candidate);
    }
    return candidate.compareTo(key) >= 0
        && (rangeEnd.isEmpty() || candidate.compareTo(rangeEnd) < 0);
  }
}
