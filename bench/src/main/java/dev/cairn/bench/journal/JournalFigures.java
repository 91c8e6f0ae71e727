package dev.cairn.bench.journal;

import dev.cairn.persistence.journal.ForcedLog;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The journal benchmark's result lines: rates over the measured seconds from the log's own
 * counters, and latency percentiles in microseconds with one decimal.
 */
final class JournalFigures {
  private JournalFigures() {}

  /** The line of a journal run ({@code mode} batch or concurrent) from the log's counters. */
  static Map<String, Object> result(
      String mode,
      int payloadBytes,
      boolean fsync,
      double elapsed,
      ForcedLog.Stats after,
      ForcedLog.Stats before,
      Histogram latency) {
    long forces = after.forces() - before.forces();
    long groups = after.groups() - before.groups();
    long events = after.events() - before.events();
    long bytes = after.bytes() - before.bytes();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("benchmark", "journal");
    r.put("mode", mode);
    r.put("payloadBytes", payloadBytes);
    r.put("fsync", fsync);
    r.put("seconds", round(elapsed));
    r.put("forces", forces);
    r.put("forcesPerSec", round(forces / elapsed));
    r.put("eventsPerSec", round(events / elapsed));
    r.put("eventsPerGroup", groups == 0 ? 0 : round((double) events / groups));
    r.put("mbPerSec", round(bytes / elapsed / (1 << 20)));
    r.put("latencyUs", percentiles(latency));
    return r;
  }

  static Map<String, Object> percentiles(Histogram h) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("p50", round(h.getValueAtPercentile(50) / 1e3));
    p.put("p99", round(h.getValueAtPercentile(99) / 1e3));
    p.put("p999", round(h.getValueAtPercentile(99.9) / 1e3));
    p.put("max", round(h.getMaxValue() / 1e3));
    return p;
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
