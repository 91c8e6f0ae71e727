package dev.cairn.bench.http;

/**
 * Allocation-free reading of numbers from the servers' JSON answers, whose field order is fixed:
 * faster than a parser on the benchmarks' hot paths, and enough for the few fields they read.
 */
public final class JsonScan {
  private JsonScan() {}

  /** The non-negative integer right after {@code token} (searched from {@code from}), or -1. */
  public static long longAfter(String s, String token, int from) {
    return number(s, token, from, -1, false);
  }

  /**
   * The non-negative integer of JSON field {@code field} (given with its quotes and colon), written
   * as a number or as a string (etcd writes 64-bit numbers as strings), searched in {@code [from,
   * to)} ({@code to} -1: to the end); -1 when absent or not a number.
   */
  public static long number(String s, String field, int from, int to) {
    return number(s, field, from, to, true);
  }

  private static long number(String s, String field, int from, int to, boolean quoted) {
    int end = to < 0 ? s.length() : to;
    int i = s.indexOf(field, from);
    if (i < 0 || i >= end) {
      return -1;
    }
    int start = i + field.length();
    if (quoted && start < end && s.charAt(start) == '"') {
      start++;
    }
    int stop = start;
    while (stop < end && Character.isDigit(s.charAt(stop))) {
      stop++;
    }
    return parseLong(s, start, stop);
  }

  /** The digits of {@code s[start, end)} as a number, or -1 when empty or not all digits. */
  public static long parseLong(String s, int start, int end) {
    if (end <= start || start < 0) {
      return -1;
    }
    long v = 0;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** How often {@code token} occurs in {@code s}. */
  public static long occurrences(String s, String token) {
    long n = 0;
    for (int i = s.indexOf(token); i >= 0; i = s.indexOf(token, i + 1)) {
      n++;
    }
    return n;
  }
}
