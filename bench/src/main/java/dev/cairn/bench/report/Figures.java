package dev.cairn.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The figures of a result line: its header (the machine and when), numbers rounded for the JSON,
 * latencies read from microsecond histograms, and this process's own CPU. Unknown figures (negative
 * or not a number) become {@code null}.
 */
public final class Figures {
  private Figures() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code line} as one line of JSON. */
  public static String json(Map<String, Object> line) throws JsonProcessingException {
    return JSON.writeValueAsString(line);
  }

  /** The fields every result line starts with: date (UTC), cores, load average (1, 5, 15 min). */
  public static Map<String, Object> header(String bench) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bench", bench);
    m.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("load_avg", loadAverage());
    return m;
  }

  /**
   * Rounds to {@code digits} decimals for the JSON line; NaN and negatives (unknown) become null.
   */
  public static Double round(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v) || v < 0) {
      return null;
    }
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /**
   * Percentile {@code p} (100: the maximum) of a histogram of microseconds, in milliseconds with
   * two decimals; null when it is empty.
   */
  public static Double ms(Histogram h, double p) {
    if (h.getTotalCount() == 0) {
      return null;
    }
    return round((p >= 100 ? h.getMaxValue() : h.getValueAtPercentile(p)) / 1e3, 2);
  }

  /** {@code bytes} in MiB with one decimal, null when unknown. */
  public static Double mib(long bytes) {
    return round(bytes / 1048576.0, 1);
  }

  /** {@code (after - before) / n} bytes with one decimal, null when a figure is unknown. */
  public static Double perItem(long before, long after, long n) {
    if (before < 0 || after < 0 || n <= 0) {
      return null;
    }
    return round(Math.max(0, after - before) / (double) n, 1);
  }

  /** {@code bytes} in MiB for a log line, {@code ?} when unknown. */
  public static String mibText(long bytes) {
    return bytes < 0 ? "?" : String.format("%.1f MiB", bytes / 1048576.0);
  }

  /** The 1, 5 and 15 minute load averages, or the JMX one-minute figure when /proc is missing. */
  public static double[] loadAverage() {
    try {
      String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
      return new double[] {
        Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])
      };
    } catch (IOException | RuntimeException e) {
      return new double[] {ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()};
    }
  }

  /** CPU time of this (client) process in seconds. */
  public static double ownCpuSeconds() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1e9;
    }
    return -1;
  }
}
