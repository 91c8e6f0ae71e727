package dev.cairn.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class RunResultTest {

  private static final RunResult.Setup SETUP =
      new RunResult.Setup("cairn", "put", 64, 256, 10_000, 5.0, "netty-epoll");
  private static final Instant END = Instant.parse("2025-03-01T12:00:00.123456Z");

  /** 1 ms, 2 ms, ..., 1000 ms, once each. */
  private static Histogram oneToThousandMillis() {
    Histogram h = new Histogram(ClosedLoop.MAX_TRACKED_NANOS, 3);
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordValue(ms * 1_000_000L);
    }
    return h;
  }

  @Test
  void percentilesAreReadInMillisecondsWithinHistogramPrecision() {
    Histogram h = oneToThousandMillis();
    // 3 significant digits: a value is reported within 0.1% of itself.
    assertThat(RunResult.percentileMs(h, 50.0)).isCloseTo(500.0, within(0.5));
    assertThat(RunResult.percentileMs(h, 99.0)).isCloseTo(990.0, within(1.0));
    assertThat(RunResult.percentileMs(h, 99.9)).isCloseTo(999.0, within(1.0));
  }

  @Test
  void skewedTailShowsOnlyAboveItsPercentile() {
    Histogram h = new Histogram(ClosedLoop.MAX_TRACKED_NANOS, 3);
    h.recordValueWithCount(1_000_000, 9_990); // 1 ms
    h.recordValueWithCount(200_000_000, 10); // 200 ms: the slowest 0.1%
    assertThat(RunResult.percentileMs(h, 50.0)).isCloseTo(1.0, within(0.001));
    assertThat(RunResult.percentileMs(h, 99.0)).isCloseTo(1.0, within(0.001));
    assertThat(RunResult.percentileMs(h, 99.9)).isCloseTo(1.0, within(0.001));
    assertThat(RunResult.percentileMs(h, 99.95)).isCloseTo(200.0, within(0.2));
  }

  @Test
  void throughputCountsOnlySuccessesOverTheWindow() {
    Measurement m =
        new Measurement(30_000, 7, 2, 1, 5, oneToThousandMillis(), 15_000_000_000L, 3_000_000_000L);
    RunResult r = RunResult.of(SETUP, m, 4, END, 2, 1.234);
    assertThat(r.opsPerSec()).isEqualTo(2000.0);
    assertThat(r.errors()).isEqualTo(10);
    assertThat(r.timeouts()).isEqualTo(1);
    assertThat(r.setupErrors()).isEqualTo(9);
    assertThat(r.genCpuUsPerOp()).isEqualTo(100.0);
    assertThat(r.genCpuCores()).isEqualTo(0.2);
    assertThat(r.loadAvg()).isEqualTo(1.23);
    assertThat(r.date()).isEqualTo("2025-03-01T12:00:00Z");
  }

  @Test
  void jsonLineHasTheAgreedFieldsInOrder() throws Exception {
    Measurement m = new Measurement(1_000, 0, 0, 0, 0, oneToThousandMillis(), 10_000_000_000L, -1);
    String line = RunResult.of(SETUP, m, 0, END, 2, 0.5).toJsonLine();

    assertThat(line).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    List<String> names = new ArrayList<>();
    json.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .startsWith(
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
            "load_avg");
    assertThat(json.get("target").asText()).isEqualTo("cairn");
    assertThat(json.get("clients").asInt()).isEqualTo(64);
    assertThat(json.get("ops_per_sec").asDouble()).isEqualTo(100.0);
    assertThat(json.get("p50_ms").asDouble()).isCloseTo(500.0, within(0.5));
    assertThat(json.get("gen_cpu_us_per_op").isNull()).isTrue();
  }

  @Test
  void noSuccessMeansNoPercentilesRatherThanZeros() throws Exception {
    Measurement m =
        new Measurement(
            0, 12, 0, 0, 0, new Histogram(ClosedLoop.MAX_TRACKED_NANOS, 3), 1_000_000_000L, 5);
    JsonNode json = new ObjectMapper().readTree(RunResult.of(SETUP, m, 0, END, 2, -1).toJsonLine());
    assertThat(json.get("p50_ms").isNull()).isTrue();
    assertThat(json.get("p999_ms").isNull()).isTrue();
    assertThat(json.get("errors").asLong()).isEqualTo(12);
    assertThat(json.get("load_avg").isNull()).isTrue();
  }
}
