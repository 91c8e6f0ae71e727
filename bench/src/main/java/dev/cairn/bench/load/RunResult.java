package dev.cairn.bench.load;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.HdrHistogram.Histogram;

/**
 * One run's result, printed as one JSON line. The first fields are the comparison's common columns;
 * the rest describe how the number was obtained.
 *
 * @param target {@code cairn}, {@code zookeeper} or {@code etcd}
 * @param op {@code put} or {@code get}
 * @param clients concurrent closed-loop clients
 * @param valueSize bytes per value
 * @param keys distinct keys
 * @param ops successful operations in the measured window
 * @param opsPerSec successful operations per second of the window
 * @param p50Ms median latency in ms, {@code null} without successful operations
 * @param p99Ms 99th percentile latency in ms
 * @param p999Ms 99.9th percentile latency in ms
 * @param errors errors in the window: non-success answers, connection failures and timeouts
 * @param date when the window ended, UTC
 * @param cores processors available to the generator
 * @param loadAvg the machine's one-minute load average at the end of the window
 * @param durationS length of the measured window in seconds
 * @param warmupS warmup before the window in seconds
 * @param maxMs largest latency in the window
 * @param timeouts errors that were timeouts (included in {@code errors})
 * @param setupErrors errors outside the window: preload, warmup and drain
 * @param driver how the generator talked to the target, e.g. {@code netty-epoll}
 * @param genCpuUsPerOp CPU the generator process spent per successful operation, in µs
 * @param genCpuCores cores' worth of CPU the generator used during the window
 */
@JsonPropertyOrder({
  "target",
  "op",
  "clients",
  "value_size",
  "keys",
  "ops",
  "ops_per_sec",
  "p50_ms",
  "p99_ms",
  "p999_ms",
  "errors",
  "date",
  "cores",
  "load_avg",
  "duration_s",
  "warmup_s",
  "max_ms",
  "timeouts",
  "setup_errors",
  "driver",
  "gen_cpu_us_per_op",
  "gen_cpu_cores"
})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RunResult(
    String target,
    String op,
    int clients,
    int valueSize,
    int keys,
    long ops,
    double opsPerSec,
    Double p50Ms,
    Double p99Ms,
    Double p999Ms,
    long errors,
    String date,
    int cores,
    Double loadAvg,
    double durationS,
    double warmupS,
    Double maxMs,
    long timeouts,
    long setupErrors,
    String driver,
    Double genCpuUsPerOp,
    Double genCpuCores) {

  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /** Where a result came from, apart from the measurement itself. */
  public record Setup(
      String target,
      String op,
      int clients,
      int valueSize,
      int keys,
      double warmupS,
      String driver) {}

  /**
   * Builds the result of {@code m}.
   *
   * @param setupErrors errors before the window (preload) plus those outside it
   * @param endedAt when the window ended
   * @param cores processors available
   * @param loadAvg one-minute load average, negative when unknown
   */
  public static RunResult of(
      Setup setup, Measurement m, long setupErrors, Instant endedAt, int cores, double loadAvg) {
    Histogram h = m.latencyNanos();
    boolean any = h.getTotalCount() > 0;
    Double cpuPerOp =
        m.cpuNanos() < 0 || m.ops() == 0 ? null : round(m.cpuNanos() / 1e3 / m.ops(), 1);
    Double cpuCores =
        m.cpuNanos() < 0 || m.windowNanos() <= 0
            ? null
            : round((double) m.cpuNanos() / m.windowNanos(), 2);
    return new RunResult(
        setup.target(),
        setup.op(),
        setup.clients(),
        setup.valueSize(),
        setup.keys(),
        m.ops(),
        round(m.opsPerSecond(), 1),
        any ? percentileMs(h, 50.0) : null,
        any ? percentileMs(h, 99.0) : null,
        any ? percentileMs(h, 99.9) : null,
        m.errors(),
        endedAt.truncatedTo(ChronoUnit.SECONDS).toString(),
        cores,
        loadAvg < 0 ? null : round(loadAvg, 2),
        round(m.windowNanos() / 1e9, 3),
        setup.warmupS(),
        any ? nanosToMs(h.getMaxValue()) : null,
        m.timeouts(),
        setupErrors + m.outsideWindowErrors(),
        setup.driver(),
        cpuPerOp,
        cpuCores);
  }

  /** The latency at {@code percentile} (0–100) of a histogram kept in ns, in ms to the µs. */
  static double percentileMs(Histogram nanos, double percentile) {
    return nanosToMs(nanos.getValueAtPercentile(percentile));
  }

  static double nanosToMs(long nanos) {
    return round(nanos / 1e6, 3);
  }

  static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }

  /** This result as one line of JSON, without a line break. */
  public String toJsonLine() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
