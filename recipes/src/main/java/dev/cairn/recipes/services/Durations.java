package dev.cairn.recipes.services;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.CairnException;
import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Consul (Go's {@code time.ParseDuration}) writes them, {@code "500ms"}, {@code
 * "10s"}, {@code "1m30s"}, {@code "1.5h"}, or a JSON number of seconds. Everything else is refused
 * with {@code invalid_duration}.
 */
public final class Durations {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  private Durations() {}

  /**
   * {@code value} (a {@link String} or a {@link Number} of seconds) in milliseconds, rounded up to
   * a whole millisecond.
   *
   * @param field the request field, named in the refusal
   * @param min the shortest accepted, in milliseconds
   * @param max the longest accepted, in milliseconds
   */
  public static long millis(String field, Object value, long min, long max) {
    BigDecimal nanos;
    if (value instanceof Number n) {
      nanos = seconds(field, n).multiply(BigDecimal.valueOf(1_000_000_000L));
    } else if (value instanceof String s) {
      nanos = parse(field, s);
    } else {
      throw invalid(field, value, "a string such as \"10s\" or a number of seconds");
    }
    long ms;
    try {
      ms =
          nanos
              .divide(BigDecimal.valueOf(1_000_000L), 0, java.math.RoundingMode.CEILING)
              .longValueExact();
    } catch (ArithmeticException e) {
      throw invalid(field, value, "too long");
    }
    if (ms < min || ms > max) {
      throw invalid(
          field, value, "between " + format(min) + " and " + format(max) + " (" + ms + " ms)");
    }
    return ms;
  }

  private static BigDecimal seconds(String field, Number n) {
    double d = n.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d) || d < 0) {
      throw invalid(field, n, "a non-negative number of seconds");
    }
    return new BigDecimal(n.toString());
  }

  private static BigDecimal parse(String field, String s) {
    if (s.equals("0")) {
      return BigDecimal.ZERO;
    }
    Matcher m = PART.matcher(s);
    BigDecimal total = BigDecimal.ZERO;
    int at = 0;
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw invalid(field, s, "a duration such as \"500ms\", \"10s\", \"1m30s\"");
      }
      BigDecimal number = new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1));
      long unit =
          switch (m.group(2)) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalStateException("unhandled unit " + m.group(2));
          };
      total = total.add(number.multiply(BigDecimal.valueOf(unit)));
      at = m.end();
    }
    if (at == 0) {
      throw invalid(field, s, "a duration such as \"500ms\", \"10s\", \"1m30s\"");
    }
    return total;
  }

  /** {@code ms} as Consul would write it: {@code "1m30s"}, {@code "500ms"}, {@code "0s"}. */
  public static String format(long ms) {
    if (ms == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
    if (h > 0) {
      b.append(h).append('h');
    }
    if (m > 0) {
      b.append(m).append('m');
    }
    if (s > 0) {
      b.append(s).append('s');
    }
    if (rest > 0) {
      b.append(rest).append("ms");
    }
    return b.toString();
  }

  private static CairnException invalid(String field, Object value, String want) {
    return new CairnException(
        ErrorCode.INVALID_DURATION,
        field
            + " must be "
            + want
            + ", not "
            + (value instanceof String ? "\"" + value + "\"" : value));
  }
}
