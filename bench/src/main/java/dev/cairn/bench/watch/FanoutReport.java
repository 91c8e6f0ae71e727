package dev.cairn.bench.watch;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cairn.bench.report.CpuWindow;
import dev.cairn.bench.report.Figures;
import dev.cairn.bench.report.ServerProbe;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a watch fan-out run found: every watcher's received revisions against the writer's
 * acknowledged ones ({@code missed}, {@code duplicates}, {@code extra}, {@code out_of_order}), the
 * delivery latency over all groups, cancellations by reason, and the run's own figures, as the JSON
 * line the command prints. A run is clean when every watcher got every acknowledged event exactly
 * once, in order, and every put was acknowledged.
 */
final class FanoutReport {

  /**
   * The run's times (System.nanoTime) and the processes' figures over the measured window.
   *
   * @param start when put 0 was due
   * @param cpu the measured window (until the last put was sent) and the CPU spent in it
   * @param writerEnd when the last put was answered (or given up)
   * @param drainS seconds spent draining after that
   * @param rss the server's resident set after the drain, bytes (negative: unknown)
   * @param closedEarly connections that closed or failed before the end
   */
  record Window(
      long start, CpuWindow cpu, long writerEnd, double drainS, long rss, long closedEarly) {}

  private final WatchFanout options;
  private final WatchPeer peer;
  private final ServerProbe server;
  private final PacedWriter writer;
  private final List<? extends WatchTally> receivers;
  private final Window w;
  private final BitSet acked;
  private final Histogram latency = new Histogram(WatchTally.MAX_MICROS, 3);
  private final Map<String, Integer> cancels = new TreeMap<>();
  private long received;
  private long missed;
  private long duplicates;
  private long extra;
  private long outOfOrder;
  private long watchersMissing;
  private long malformed;

  FanoutReport(
      WatchFanout options,
      WatchPeer peer,
      ServerProbe server,
      PacedWriter writer,
      List<? extends WatchTally> receivers,
      long r0,
      Window w) {
    this.options = options;
    this.peer = peer;
    this.server = server;
    this.writer = writer;
    this.receivers = receivers;
    this.w = w;
    this.acked = writer.ackedRevisions(r0);
    for (WatchTally rc : receivers) {
      synchronized (rc) {
        add(rc);
      }
    }
  }

  private void add(WatchTally rc) {
    latency.add(rc.latency);
    received += rc.received.get();
    duplicates += rc.duplicates;
    outOfOrder += rc.outOfOrder;
    malformed += rc.malformed;
    rc.cancelReasons.forEach((k, v) -> cancels.merge(k, v, Integer::sum));
    for (int watch = 0; watch < rc.count; watch++) {
      BitSet m = (BitSet) acked.clone();
      m.andNot(rc.got[watch]);
      int mw = m.cardinality();
      missed += mw;
      if (mw > 0) {
        watchersMissing++;
      }
      BitSet x = (BitSet) rc.got[watch].clone();
      x.andNot(acked);
      extra += x.cardinality();
    }
  }

  /** Whether every watcher got every acknowledged event exactly once and every put succeeded. */
  boolean clean() {
    return missed == 0
        && duplicates == 0
        && outOfOrder == 0
        && cancels.isEmpty()
        && acked.cardinality() > 0
        && writer.errors.sum() == 0
        && !writer.aborted;
  }

  /** The result line; {@code loadAtStart} is the load average when the run began. */
  String jsonLine(double[] loadAtStart, int totalPuts) throws JsonProcessingException {
    double windowS = w.cpu().seconds();
    Map<String, Object> j = Figures.header("watch_fanout");
    j.put("target", peer.name());
    j.put("load_avg_start", loadAtStart);
    j.put("watchers", options.watchers);
    j.put("connections", peer.connections());
    j.put("coalesce", options.coalesce);
    j.put("client", options.target == WatchFanout.Target.CAIRN ? "netty" : "library");
    peer.describe(j);
    j.put("rate", options.rate);
    j.put("duration_s", options.window.durationSeconds());
    j.put("warmup_s", options.window.warmupSeconds());
    j.put("value_size", options.valueSize);
    j.put("puts", totalPuts);
    j.put("puts_sent", writer.next);
    j.put("aborted", writer.aborted);
    j.put("puts_acked", (long) acked.cardinality());
    j.put("put_errors", writer.errors.sum());
    j.put("put_rate_achieved", Figures.round(writer.measuredSent.get() / windowS, 1));
    j.put("max_send_lag_ms", Figures.round(writer.maxLagNanos.get() / 1e6, 2));
    Histogram putLatency = writer.putLatency.getIntervalHistogram();
    j.put("put_p50_ms", Figures.ms(putLatency, 50));
    j.put("put_p99_ms", Figures.ms(putLatency, 99));
    j.put("events_expected", (long) acked.cardinality() * options.watchers);
    j.put("events_received", received);
    j.put("missed", missed);
    j.put("duplicates", duplicates);
    j.put("extra", extra);
    j.put("out_of_order", outOfOrder);
    j.put("watchers_missing_events", watchersMissing);
    j.put("canceled", cancels);
    j.put("latency_samples", latency.getTotalCount());
    j.put("p50_ms", Figures.ms(latency, 50));
    j.put("p99_ms", Figures.ms(latency, 99));
    j.put("p999_ms", Figures.ms(latency, 99.9));
    j.put("max_ms", Figures.ms(latency, 100));
    j.put(
        "deliveries_per_sec",
        Figures.round(received / ((w.writerEnd() - w.start()) / 1e9 + w.drainS()), 0));
    j.put("drain_s", Figures.round(w.drainS(), 2));
    j.put("server_pid", server.pid());
    j.put("server_cpu_cores", w.cpu().serverCores());
    j.put("client_cpu_cores", w.cpu().clientCores());
    j.put("server_rss_mb", Figures.mib(w.rss()));
    j.put("malformed", malformed);
    j.put("ws_errors", WatchTally.sum(receivers, r -> r.errors.get()));
    j.put("ws_closed_early", w.closedEarly());
    return Figures.json(j);
  }
}
