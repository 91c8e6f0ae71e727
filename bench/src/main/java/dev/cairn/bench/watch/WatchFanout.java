package dev.cairn.bench.watch;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.EtcdApi;
import dev.cairn.bench.cli.RunWindow;
import dev.cairn.bench.cli.ServerPid;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.cli.ZooKeeperOptions;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.Figures;
import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Watch fan-out: {@code --watchers} prefix watches spread over {@code --connections} WebSocket
 * connections on {@code /v1/watch}, one writer putting keys under the prefix at a fixed rate (open
 * loop, paced by a scheduler), and a check that every watcher received every acknowledged revision
 * exactly once. Prints one JSON line.
 *
 * <p><b>No gap by construction.</b> Before the watches are created the program writes a marker key
 * outside the prefix and gets its revision R0; every watch is created with {@code start_revision =
 * R0 + 1}, so the server must deliver every later change under the prefix (history first if the
 * watch registers late, then live) — the benchmark does not rely on the order of "created" and the
 * first put.
 *
 * <p><b>What is measured.</b> Put i is due at {@code start + i / rate} and its value is {@code
 * <i>:<that time, System.nanoTime()>:<pad>}; delivery latency is the receive time minus that send
 * time, in the same process, for every (watcher, event) pair after the warmup, in an HdrHistogram.
 * The writer is open loop with at most {@code --max-in-flight} puts outstanding; when the server
 * falls that far behind, later puts leave late and their wait counts in the latency (no coordinated
 * omission; {@code max_send_lag_ms} shows it). Like the delivery latency, the puts' own latency
 * ({@code put_*_ms}, due time to acknowledgement) and {@code max_send_lag_ms} cover the puts after
 * the warmup. The writer's acknowledged revisions are compared with each watcher's received
 * revisions: {@code missed} (acknowledged, never delivered to that watcher), {@code duplicates}
 * (delivered twice), {@code extra} (delivered but never acknowledged, e.g. a put that timed out
 * client-side), {@code out_of_order}. Cancellations sent by the server ({@code slow_consumer}, ...)
 * are counted by reason. Server CPU comes from {@code /proc/<pid>/stat} of the process listening on
 * the port.
 *
 * <p><b>{@code --coalesce}</b> opens the connections with {@code ?coalesce=true}: the server then
 * sends one message per connection and revision naming every watch that gets the same events
 * ({@code watch_ids}); its events count for each listed watch, exactly as if each had got its own
 * message (latency per watcher and event, missed/duplicate/out-of-order per watch).
 *
 * <p><b>{@code --target etcd|zookeeper}</b> runs the same workload against a peer (see {@code
 * EtcdWatch} and {@code ZooKeeperWatch}): the same writer, pacing, drain and accounting, and the
 * same JSON line with {@code target} and a {@code note} saying what differs. etcd's JSON gateway
 * needs one HTTP connection per watcher ({@code connections} = watchers); ZooKeeper spreads the
 * watchers over {@code --connections} sessions and its notifications carry no data, so its latency
 * is the notification's, matched to the put by path.
 *
 * <p>The command holds the options; {@link FanoutRun} runs the phases with a {@link PacedWriter},
 * and {@link FanoutReport} turns what was received into the JSON line.
 *
 * <p>Exit status: 0 when every watcher got every acknowledged event exactly once, 3 when not (the
 * JSON line is printed either way), 1 when the run could not be set up, 2 on bad usage.
 */
@Command(
    name = "watch-fanout",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "W prefix watchers over K connections (Cairn WebSocket, etcd gateway streams, ZooKeeper sessions), one open-loop writer; delivery latency and exactly-once check.")
public final class WatchFanout implements Callable<Integer> {

  /** Systems the benchmark can measure. */
  public enum Target {
    CAIRN,
    ETCD,
    ZOOKEEPER
  }

  @Option(
      names = "--target",
      description = "cairn, etcd or zookeeper (default: ${DEFAULT-VALUE}); see the package docs")
  Target target = Target.CAIRN;

  @Mixin TargetUrl url;

  @Mixin EtcdApi etcdApi;

  @Mixin ZooKeeperOptions zooKeeper;

  @Option(
      names = {"-w", "--watchers"},
      description = "watches in total (default: ${DEFAULT-VALUE})")
  int watchers = 1000;

  @Option(
      names = {"-k", "--connections"},
      description =
          "WebSocket connections (cairn) or sessions (zookeeper) the watches are spread over; etcd: groups the watch streams are counted in, each watcher being its own connection (default: ${DEFAULT-VALUE})")
  int connections = 10;

  @Option(
      names = {"-r", "--rate"},
      description = "puts per second, paced open loop (default: ${DEFAULT-VALUE})")
  int rate = 1000;

  /** The warmup's puts go at the same rate and are checked for delivery, not timed. */
  @Mixin RunWindow window;

  @Option(
      names = "--value-size",
      description = "bytes per value, at least the timestamp (default: ${DEFAULT-VALUE})")
  int valueSize = 64;

  @Option(
      names = "--prefix",
      description = "watched prefix; a run id is appended (default: ${DEFAULT-VALUE})")
  String prefix = "bench/watch/";

  @Option(
      names = "--coalesce",
      description =
          "open the connections with ?coalesce=true: one message for all the watches of a connection that get the same events")
  boolean coalesce;

  @Option(
      names = "--ws-clients",
      description =
          "etcd: event loop threads the watch streams share; 0 = as many as --connections (default: ${DEFAULT-VALUE}). One thread reading many busy sockets becomes the bottleneck.")
  int wsClients = 0;

  @Option(
      names = "--drain-timeout",
      defaultValue = "60s",
      description = "longest wait for deliveries after the last put (default: ${DEFAULT-VALUE})")
  Duration drainTimeout;

  @Option(
      names = "--drain-idle",
      defaultValue = "10s",
      description =
          "give up draining after this long without a delivery (default: ${DEFAULT-VALUE})")
  Duration drainIdle;

  @Option(
      names = "--put-timeout",
      defaultValue = "10s",
      description = "per-put timeout (default: ${DEFAULT-VALUE})")
  Duration putTimeout;

  @Option(
      names = "--max-in-flight",
      description =
          "puts in flight at most (= HTTP connections; zookeeper: pipelined on the writer's session); a put due beyond that waits, and its wait counts in the latency (default: ${DEFAULT-VALUE})")
  int maxInFlight = 256;

  @Option(
      names = "--stall-timeout",
      defaultValue = "30s",
      description =
          "abort the writer when no put was acknowledged for this long or the server process is gone (default: ${DEFAULT-VALUE})")
  Duration stallTimeout;

  @Mixin ServerPid serverPid;

  private final PrintStream out;
  private final PrintStream log;

  public WatchFanout() {
    this(System.out, System.err);
  }

  WatchFanout(PrintStream out, PrintStream log) {
    this.out = out;
    this.log = log;
  }

  public static void main(String[] args) {
    Cli.main(commandLine(new WatchFanout()), args);
  }

  /** The command line; the measured window lasts 30 s unless told otherwise. */
  static CommandLine commandLine(WatchFanout command) {
    return Cli.commandLine(command, Map.of("--duration", "30s"));
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    if (wsClients <= 0) {
      wsClients = connections;
    }
    if (watchers <= 0 || connections <= 0 || rate <= 0 || connections > watchers) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "watchers, connections, rate and ws clients must be positive, connections <= watchers");
    }
    if (coalesce && target != Target.CAIRN) {
      // One command line serves all targets (bin/bench-watch); the peers have no such option.
      log.println("[watch] --coalesce is a Cairn option; ignored for " + target);
      coalesce = false;
    }
    double[] loadAtStart = Figures.loadAverage();
    String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    String watched = prefix + runId + "/";
    boolean etcd = target == Target.ETCD;
    int port = target == Target.ZOOKEEPER ? zooKeeper.port() : url.port(etcd);
    ServerProbe server = serverPid.probe(port, log, "watch");
    long warmupPuts = Math.round(rate * window.warmupSeconds());
    long measuredPuts = Math.round(rate * window.durationSeconds());
    int totalPuts = Math.toIntExact(warmupPuts + measuredPuts);
    WatchPeer peer = peer(url.resolve(etcd), totalPuts);
    try {
      FanoutRun run = new FanoutRun(this, peer, server, log);
      return run.run(loadAtStart, runId, watched, warmupPuts, totalPuts, out);
    } finally {
      peer.close();
    }
  }

  private WatchPeer peer(URI base, int totalPuts) throws Exception {
    return switch (target) {
      case CAIRN -> new CairnWatch(base, watchers, connections, coalesce, putTimeout);
      case ETCD -> {
        HttpTransport http = new HttpTransport(base, 1);
        try {
          yield new EtcdWatch(
              base, etcdApi.resolve(http), http, watchers, connections, wsClients, putTimeout, log);
        } catch (Exception e) {
          http.close();
          throw e;
        }
      }
      case ZOOKEEPER ->
          new ZooKeeperWatch(
              zooKeeper.connect(),
              watchers,
              connections,
              zooKeeper.sessionTimeout(),
              totalPuts,
              log);
    };
  }
}
