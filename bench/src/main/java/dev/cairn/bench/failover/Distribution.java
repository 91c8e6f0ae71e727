package dev.cairn.bench.failover;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The spread of one figure over the kills: median (the middle value, or the mean of the two middle
 * ones), p90 by nearest rank (the ⌈0.9·n⌉-th smallest: with 10 kills, the 9th), min, max and mean.
 */
public record Distribution(int n, double min, double median, double p90, double max, double mean) {

  public static Distribution of(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = v.length;
    if (n == 0) {
      return new Distribution(0, -1, -1, -1, -1, -1);
    }
    double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    double p90 = v[Math.max(0, (int) Math.ceil(0.9 * n) - 1)];
    return new Distribution(n, v[0], median, p90, v[n - 1], Arrays.stream(v).average().orElse(-1));
  }

  /** For the JSON line, in milliseconds with one decimal; unknowns become null. */
  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", n);
    m.put("median", dev.cairn.bench.report.Figures.round(median, 1));
    m.put("p90", dev.cairn.bench.report.Figures.round(p90, 1));
    m.put("max", dev.cairn.bench.report.Figures.round(max, 1));
    m.put("min", dev.cairn.bench.report.Figures.round(min, 1));
    m.put("mean", dev.cairn.bench.report.Figures.round(mean, 1));
    return m;
  }
}
