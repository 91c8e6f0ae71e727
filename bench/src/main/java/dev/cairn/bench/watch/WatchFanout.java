package dev.cairn.bench.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.CommonPool;
import dev.cairn.bench.load.DurationConverter;
import dev.cairn.bench.load.LoadGenerator;
import dev.cairn.bench.load.http.HttpCall;
import dev.cairn.bench.load.http.HttpConnection;
import dev.cairn.bench.load.http.HttpTransport;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--url",
      description =
          "server base URL (default: http://127.0.0.1:7070 for cairn, http://127.0.0.1:2379 for etcd)")
  URI url;

  @Option(
      names = "--etcd-api",
      description =
          "etcd: gateway prefix, e.g. /v3 (default: the first of /v3, /v3beta, /v3alpha that answers)")
  String etcdApi;

  @Option(
      names = "--zk-connect",
      description = "zookeeper: connect string (default: ${DEFAULT-VALUE})")
  String zkConnect = "127.0.0.1:2181";

  @Option(
      names = "--zk-session-timeout",
      converter = DurationConverter.class,
      description = "zookeeper: session timeout (default: 30s)")
  Duration zkSessionTimeout = Duration.ofSeconds(30);

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

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      description = "measured window, e.g. 30s (default: 30s)")
  Duration duration = Duration.ofSeconds(30);

  @Option(
      names = "--warmup",
      converter = DurationConverter.class,
      description =
          "puts at the same rate before the window; checked for delivery, not timed (default: 5s)")
  Duration warmup = Duration.ofSeconds(5);

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

  /** The client library for Cairn's WebSocket connections and puts. */
  enum Client {
    /** Netty: every connection on one event loop thread, puts on another. */
    NETTY,
    /** {@code java.net.http}: see {@code --ws-clients}. */
    JDK
  }

  @Option(
      names = "--client",
      description =
          "cairn: netty (the connections share one event loop thread, the puts another) or jdk (java.net.http) (default: ${DEFAULT-VALUE})")
  Client client = Client.NETTY;

  @Option(
      names = "--ws-clients",
      description =
          "java.net.http clients (one selector thread each) that the connections share: etcd's watch streams, and Cairn's with --client jdk; 0 = as many as --connections (default: ${DEFAULT-VALUE}). One client reading many busy sockets becomes the bottleneck.")
  int wsClients = 0;

  @Option(
      names = "--drain-timeout",
      converter = DurationConverter.class,
      description = "longest wait for deliveries after the last put (default: 60s)")
  Duration drainTimeout = Duration.ofSeconds(60);

  @Option(
      names = "--drain-idle",
      converter = DurationConverter.class,
      description = "give up draining after this long without a delivery (default: 10s)")
  Duration drainIdle = Duration.ofSeconds(10);

  @Option(
      names = "--put-timeout",
      converter = DurationConverter.class,
      description = "per-put timeout (default: 10s)")
  Duration putTimeout = Duration.ofSeconds(10);

  @Option(
      names = "--max-in-flight",
      description =
          "puts in flight at most (= HTTP connections; zookeeper: pipelined on the writer's session); a put due beyond that waits, and its wait counts in the latency (default: ${DEFAULT-VALUE})")
  int maxInFlight = 256;

  @Option(
      names = "--stall-timeout",
      converter = DurationConverter.class,
      description =
          "abort the writer when no put was acknowledged for this long or the server process is gone (default: 30s)")
  Duration stallTimeout = Duration.ofSeconds(30);

  @Option(
      names = "--server-pid",
      description =
          "server process for CPU figures (default: the process listening on the URL's port)")
  long serverPid = 0;

  private static final ObjectMapper JSON = new ObjectMapper();

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
    CommonPool.ensureThreads();
    System.exit(
        new CommandLine(new WatchFanout()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
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
      System.err.println("[watch] --coalesce is a Cairn option; ignored for " + target);
      coalesce = false;
    }
    if (url == null) {
      url = URI.create(target == Target.ETCD ? "http://127.0.0.1:2379" : "http://127.0.0.1:7070");
    }
    if (target != Target.CAIRN) {
      LoadGenerator.quietLibraryLogging();
    }
    double[] loadAtStart = ServerProbe.loadAverage();
    String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    String watched = prefix + runId + "/";
    int port =
        target == Target.ZOOKEEPER
            ? ZooKeeperWatch.port(zkConnect)
            : url.getPort() > 0 ? url.getPort() : 80;
    ServerProbe server = ServerProbe.of(serverPid, port);
    if (!server.known()) {
      log.printf("[watch] server process not found (port %d); CPU figures will be null%n", port);
    }

    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    long warmupPuts = Math.round(rate * (warmup.toNanos() / 1e9));
    long measuredPuts = Math.round(rate * (duration.toNanos() / 1e9));
    int totalPuts = Math.toIntExact(warmupPuts + measuredPuts);
    WatchPeer peer =
        switch (target) {
          case CAIRN -> new CairnPeer(http);
          case ETCD ->
              new EtcdWatch(url, etcdApi, http, watchers, connections, wsClients, putTimeout, log);
          case ZOOKEEPER ->
              new ZooKeeperWatch(
                  zkConnect, watchers, connections, zkSessionTimeout, totalPuts, log);
        };
    try {
      return run(peer, server, loadAtStart, runId, watched, warmupPuts, totalPuts);
    } finally {
      peer.close();
    }
  }

  private int run(
      WatchPeer peer,
      ServerProbe server,
      double[] loadAtStart,
      String runId,
      String watched,
      long warmupPuts,
      int totalPuts)
      throws Exception {
    long r0 = peer.prepare(runId, watched, totalPuts);
    if (target == Target.CAIRN) {
      log.printf(
          "[watch] run %s: marker at revision %d; %d watchers over %d connections on '%s'%s%n",
          runId, r0, watchers, connections, watched, coalesce ? ", coalesced" : "");
    } else {
      log.printf(
          "[watch] %s run %s: watches start after revision %d; %d watchers over %d connections on '%s'%n",
          peer.name(), runId, r0, watchers, peer.connections(), watched);
    }

    // ---------------------------------------------------------------- connections and watches
    long tCreate = System.nanoTime();
    List<? extends WatchTally> receivers = peer.open(watched, r0, warmupPuts);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (createdTotal(receivers) < watchers
        && System.nanoTime() < deadline
        && errorsTotal(receivers) == 0) {
      Thread.sleep(20);
    }
    if (createdTotal(receivers) < watchers) {
      List<String> samples = new ArrayList<>();
      for (WatchTally rc : receivers) {
        synchronized (rc) {
          samples.addAll(rc.errorSamples);
        }
      }
      log.printf(
          "[watch] only %d of %d watches created; errors: %s%n",
          createdTotal(receivers), watchers, samples.subList(0, Math.min(5, samples.size())));
      peer.abort();
      return 1;
    }
    log.printf(
        "[watch] %d watches created in %.2fs; writing %d puts/s for %.1fs warmup + %.1fs%n",
        watchers,
        (System.nanoTime() - tCreate) / 1e9,
        rate,
        warmup.toNanos() / 1e9,
        duration.toNanos() / 1e9);

    // ---------------------------------------------------------------- the writer
    Writer writer = new Writer(peer, totalPuts, warmupPuts);
    double serverCpu0 = 0;
    double clientCpu0 = 0;
    long window0 = 0;
    ScheduledExecutorService sched =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "writer-pacer");
              t.setDaemon(true);
              return t;
            });
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    writer.start(sched, start, 1_000_000_000L / rate);
    long[] lastAcked = {0, System.nanoTime()};
    ScheduledFuture<?> stallCheck =
        sched.scheduleAtFixedRate(
            () -> {
              long acked = writer.completed.get() - writer.errors.sum();
              long now = System.nanoTime();
              if (acked != lastAcked[0]) {
                lastAcked[0] = acked;
                lastAcked[1] = now;
              } else if (now - lastAcked[1] > stallTimeout.toNanos()
                  || (server.pid() > 0 && !server.known())) {
                if (writer.abort()) {
                  log.printf(
                      "[watch] aborting: %s%n",
                      server.pid() > 0 && !server.known()
                          ? "the server process is gone"
                          : "no put acknowledged for " + stallTimeout.toSeconds() + "s");
                }
              }
            },
            1,
            1,
            TimeUnit.SECONDS);
    ScheduledFuture<?> progress =
        sched.scheduleAtFixedRate(
            () ->
                log.printf(
                    "[watch] t=%.0fs sent %d, acked %d, events received %d (%d%% of acked x watchers), closed %d%n",
                    (System.nanoTime() - start) / 1e9,
                    writer.next,
                    writer.completed.get() - writer.errors.sum(),
                    receivedTotal(receivers),
                    Math.round(
                        100.0
                            * receivedTotal(receivers)
                            / Math.max(
                                1,
                                (writer.completed.get() - writer.errors.sum()) * (long) watchers)),
                    closedTotal(receivers)),
            5,
            5,
            TimeUnit.SECONDS);
    long windowStart = start + warmupPuts * 1_000_000_000L / rate;
    // sample CPU at the start of the measured window
    long sleep = windowStart - System.nanoTime();
    if (sleep > 0) {
      TimeUnit.NANOSECONDS.sleep(sleep);
    }
    serverCpu0 = server.cpuSeconds();
    clientCpu0 = ServerProbe.ownCpuSeconds();
    window0 = System.nanoTime();
    writer.pacedAll.await();
    double serverCpu1 = server.cpuSeconds();
    double clientCpu1 = ServerProbe.ownCpuSeconds();
    long window1 = System.nanoTime();
    try {
      writer.allDone.get(putTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      log.printf("[watch] %d puts still unanswered%n", writer.next - writer.completed.get());
    }
    stallCheck.cancel(false);
    long writerEnd = System.nanoTime();

    // ---------------------------------------------------------------- drain
    BitSet acked = writer.ackedRevisions(r0);
    long ackedCount = acked.cardinality();
    long expected = ackedCount * watchers;
    long drainDeadline = writerEnd + drainTimeout.toNanos();
    long lastTotal = -1;
    long lastChange = System.nanoTime();
    while (System.nanoTime() < drainDeadline) {
      // Every put sent may have been applied (a timed-out put too): wait for all of them, unless
      // deliveries stop for --drain-idle.
      long total = receivedTotal(receivers);
      long activeWatchers = watchers - cancelledTotal(receivers);
      if (total >= (long) writer.next * activeWatchers || writer.aborted) {
        break;
      }
      if (total != lastTotal) {
        lastTotal = total;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > drainIdle.toNanos()) {
        break;
      }
      Thread.sleep(10);
    }
    double drainS = (System.nanoTime() - writerEnd) / 1e9;
    progress.cancel(false);
    sched.shutdownNow();
    long rss = server.rssBytes();
    long closedEarly = closedTotal(receivers);
    peer.close();
    Thread.sleep(200);

    // ---------------------------------------------------------------- results
    Histogram lat = new Histogram(WatchTally.MAX_MICROS, 3);
    long received = 0;
    long missed = 0;
    long duplicates = 0;
    long extra = 0;
    long outOfOrder = 0;
    long watchersMissing = 0;
    long malformed = 0;
    Map<String, Integer> cancels = new TreeMap<>();
    for (WatchTally rc : receivers) {
      synchronized (rc) {
        lat.add(rc.latency);
        received += rc.received.get();
        duplicates += rc.duplicates;
        outOfOrder += rc.outOfOrder;
        malformed += rc.malformed;
        rc.cancelReasons.forEach((k, v) -> cancels.merge(k, v, Integer::sum));
        for (int w = 0; w < rc.count; w++) {
          BitSet m = (BitSet) acked.clone();
          m.andNot(rc.got[w]);
          int mw = m.cardinality();
          missed += mw;
          if (mw > 0) {
            watchersMissing++;
          }
          BitSet x = (BitSet) rc.got[w].clone();
          x.andNot(acked);
          extra += x.cardinality();
        }
      }
    }
    double windowS = (window1 - window0) / 1e9;
    if (serverCpu0 < 0 || serverCpu1 < 0) {
      log.printf(
          "[watch] server CPU unknown (pid %d: %.2f, %.2f)%n",
          server.pid(), serverCpu0, serverCpu1);
    }
    Map<String, Object> j = ServerProbe.header("watch_fanout");
    j.put("target", peer.name());
    j.put("load_avg_start", loadAtStart);
    j.put("watchers", watchers);
    j.put("connections", peer.connections());
    j.put("coalesce", coalesce);
    j.put(
        "client",
        target == Target.CAIRN ? client.name().toLowerCase(java.util.Locale.ROOT) : "library");
    peer.describe(j);
    j.put("rate", rate);
    j.put("duration_s", duration.toNanos() / 1e9);
    j.put("warmup_s", warmup.toNanos() / 1e9);
    j.put("value_size", valueSize);
    j.put("puts", totalPuts);
    j.put("puts_sent", writer.next);
    j.put("aborted", writer.aborted);
    j.put("puts_acked", ackedCount);
    j.put("put_errors", writer.errors.sum());
    j.put("put_rate_achieved", ServerProbe.round(writer.measuredSent.get() / windowS, 1));
    j.put("max_send_lag_ms", ServerProbe.round(writer.maxLagNanos.get() / 1e6, 2));
    Histogram putLat = writer.putLatency.getIntervalHistogram();
    j.put("put_p50_ms", ms(putLat, 50));
    j.put("put_p99_ms", ms(putLat, 99));
    j.put("events_expected", expected);
    j.put("events_received", received);
    j.put("missed", missed);
    j.put("duplicates", duplicates);
    j.put("extra", extra);
    j.put("out_of_order", outOfOrder);
    j.put("watchers_missing_events", watchersMissing);
    j.put("canceled", cancels);
    j.put("latency_samples", lat.getTotalCount());
    j.put("p50_ms", ms(lat, 50));
    j.put("p99_ms", ms(lat, 99));
    j.put("p999_ms", ms(lat, 99.9));
    j.put(
        "max_ms", lat.getTotalCount() == 0 ? null : ServerProbe.round(lat.getMaxValue() / 1e3, 2));
    j.put(
        "deliveries_per_sec",
        ServerProbe.round(received / ((writerEnd - start) / 1e9 + drainS), 0));
    j.put("drain_s", ServerProbe.round(drainS, 2));
    j.put("server_pid", server.pid());
    j.put("server_cpu_cores", ServerProbe.round((serverCpu1 - serverCpu0) / windowS, 3));
    j.put("client_cpu_cores", ServerProbe.round((clientCpu1 - clientCpu0) / windowS, 3));
    j.put("server_rss_mb", ServerProbe.round(rss / 1048576.0, 1));
    j.put("malformed", malformed);
    j.put("ws_errors", errorsTotal(receivers));
    j.put("ws_closed_early", closedEarly);
    out.println(JSON.writeValueAsString(j));
    out.flush();
    boolean ok =
        missed == 0
            && duplicates == 0
            && outOfOrder == 0
            && cancels.isEmpty()
            && ackedCount > 0
            && writer.errors.sum() == 0
            && !writer.aborted;
    return ok ? 0 : 3;
  }

  private static Double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0
        ? null
        : ServerProbe.round(h.getValueAtPercentile(percentile) / 1e3, 2);
  }

  private static long createdTotal(List<? extends WatchTally> rs) {
    return rs.stream().mapToLong(r -> r.created.get()).sum();
  }

  private static long errorsTotal(List<? extends WatchTally> rs) {
    return rs.stream().mapToLong(r -> r.errors.get()).sum();
  }

  private static long receivedTotal(List<? extends WatchTally> rs) {
    return rs.stream().mapToLong(r -> r.received.get()).sum();
  }

  private static long closedTotal(List<? extends WatchTally> rs) {
    return rs.stream().mapToLong(WatchTally::closedCount).sum();
  }

  private static long cancelledTotal(List<? extends WatchTally> rs) {
    return rs.stream().mapToLong(r -> r.cancelled.get()).sum();
  }

  /** Cairn: WebSocket connections on {@code /v1/watch}, puts with {@code PUT /v1/kv/{key}}. */
  private final class CairnPeer implements WatchPeer {
    final HttpClient http;
    final List<TextSocket> sockets = new ArrayList<>();
    final List<NettyTextSocket> nettySockets = new ArrayList<>();
    final NettyTextSocket.Group wsGroup;
    final HttpTransport putTransport;

    /** Idle keep-alive connections for puts; a put takes one or opens one. */
    final ConcurrentLinkedQueue<HttpConnection> idle = new ConcurrentLinkedQueue<>();

    /** Ends a Netty put that got no answer within {@code --put-timeout}. */
    final ScheduledThreadPoolExecutor timeouts =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "put-timeouts");
              t.setDaemon(true);
              return t;
            });

    String watched;

    CairnPeer(HttpClient http) {
      this.http = http;
      timeouts.setRemoveOnCancelPolicy(true);
      if (client == Client.NETTY) {
        this.wsGroup = new NettyTextSocket.Group(1);
        this.putTransport = HttpTransport.Kind.NETTY.create(url, maxInFlight, 1);
      } else {
        this.wsGroup = null;
        this.putTransport = null;
      }
    }

    @Override
    public String name() {
      return "cairn";
    }

    @Override
    public int connections() {
      return connections;
    }

    @Override
    public long prepare(String runId, String watched, int totalPuts) throws Exception {
      this.watched = watched;
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(url.resolve("/v1/kv/bench/watch-marker/" + runId))
                  .timeout(putTimeout)
                  .PUT(HttpRequest.BodyPublishers.ofString("start"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "PUT bench/watch-marker/" + runId + ": " + r.statusCode() + " " + r.body());
      }
      return Scan.longAfter(r.body(), "\"revision\":", 0);
    }

    @Override
    public List<Receiver> open(String watched, long r0, long warmupPuts) throws Exception {
      List<HttpClient> wsHttp = new ArrayList<>();
      for (int i = 0; wsGroup == null && i < wsClients; i++) {
        wsHttp.add(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
      }
      URI wsUri =
          URI.create(
              url.toString().replaceFirst("^http", "ws").replaceAll("/$", "")
                  + "/v1/watch"
                  + (coalesce ? "?coalesce=true" : ""));
      List<Receiver> receivers = new ArrayList<>(connections);
      int base = 0;
      for (int c = 0; c < connections; c++) {
        int n = watchers / connections + (c < watchers % connections ? 1 : 0);
        Receiver rc = new Receiver(base, n, r0, warmupPuts);
        receivers.add(rc);
        base += n;
      }
      List<java.util.function.Consumer<String>> senders = new ArrayList<>();
      if (wsGroup != null) {
        List<CompletableFuture<NettyTextSocket>> opening = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
          opening.add(NettyTextSocket.open(wsGroup, wsUri, receivers.get(c)));
        }
        for (CompletableFuture<NettyTextSocket> f : opening) {
          NettyTextSocket socket = f.get(60, TimeUnit.SECONDS);
          nettySockets.add(socket);
          senders.add(socket::send);
        }
      } else {
        List<CompletableFuture<TextSocket>> opening = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
          opening.add(TextSocket.open(wsHttp.get(c % wsClients), wsUri, receivers.get(c)));
        }
        for (CompletableFuture<TextSocket> f : opening) {
          TextSocket socket = f.get(60, TimeUnit.SECONDS);
          sockets.add(socket);
          senders.add(socket::send);
        }
      }
      for (int c = 0; c < connections; c++) {
        Receiver rc = receivers.get(c);
        for (int w = 0; w < rc.count; w++) {
          senders
              .get(c)
              .accept(
                  "{\"create\":{\"key\":\""
                      + watched
                      + "\",\"prefix\":true,\"start_revision\":"
                      + (r0 + 1)
                      + ",\"watch_id\":"
                      + w
                      + "}}");
        }
      }
      return receivers;
    }

    @Override
    public void put(int i, long intended, String value, PutDone done) {
      if (putTransport != null) {
        HttpConnection connection = idle.poll();
        HttpConnection conn = connection != null ? connection : putTransport.open();
        // Exactly one of the reply and the timeout ends the put.
        AtomicBoolean ended = new AtomicBoolean();
        ScheduledFuture<?> timeout =
            timeouts.schedule(
                () -> {
                  if (ended.compareAndSet(false, true)) {
                    conn.close(); // a late answer must not be read as the next put's
                    done.done(-1, "no answer within " + putTimeout);
                  }
                },
                putTimeout.toNanos(),
                TimeUnit.NANOSECONDS);
        conn.send(
            HttpCall.put(
                "/v1/kv/" + watched + String.format("%08d", i),
                value.getBytes(StandardCharsets.UTF_8),
                null),
            (status, body, failure) -> {
              if (!ended.compareAndSet(false, true)) {
                return;
              }
              timeout.cancel(false);
              if (failure == null) {
                idle.add(conn);
              } else {
                conn.close();
              }
              if (status == 200) {
                String text = new String(body, StandardCharsets.UTF_8);
                done.done(Scan.longAfter(text, "\"revision\":", 0), null);
              } else {
                done.done(
                    -1,
                    failure != null
                        ? failure.toString()
                        : status + " " + new String(body, StandardCharsets.UTF_8));
              }
            });
        return;
      }
      HttpRequest req =
          HttpRequest.newBuilder(url.resolve("/v1/kv/" + watched + String.format("%08d", i)))
              .timeout(putTimeout)
              .PUT(HttpRequest.BodyPublishers.ofString(value))
              .build();
      http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (r, e) -> {
                if (e == null && r.statusCode() == 200) {
                  done.done(Scan.longAfter(r.body(), "\"revision\":", 0), null);
                } else {
                  done.done(-1, e != null ? e.toString() : r.statusCode() + " " + r.body());
                }
              });
    }

    @Override
    public void abort() {
      sockets.forEach(TextSocket::abort);
      sockets.clear();
      nettySockets.forEach(NettyTextSocket::abort);
      nettySockets.clear();
    }

    @Override
    public void close() {
      for (TextSocket s : sockets) {
        s.close();
      }
      sockets.clear();
      nettySockets.forEach(NettyTextSocket::close);
      nettySockets.clear();
      HttpConnection c;
      while ((c = idle.poll()) != null) {
        c.close();
      }
      timeouts.shutdownNow();
      if (putTransport != null) {
        putTransport.close();
      }
      if (wsGroup != null) {
        wsGroup.close();
      }
    }
  }

  // ------------------------------------------------------------------ writer

  /** Sends put {@code i} at {@code start + i * period}, open loop, from a 1 ms scheduler tick. */
  private final class Writer {
    final WatchPeer peer;
    final int total;
    final long warmupPuts;
    final AtomicLongArray revisions;
    final LongAdder errors = new LongAdder();
    final AtomicLong measuredSent = new AtomicLong();
    final AtomicLong maxLagNanos = new AtomicLong();
    final Recorder putLatency = new Recorder(3);
    final AtomicInteger completed = new AtomicInteger();
    final CountDownLatch pacedAll = new CountDownLatch(1);
    final CompletableFuture<Void> allDone = new CompletableFuture<>();
    final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(maxInFlight);
    final String pad;
    volatile int next;
    ScheduledFuture<?> tick;

    Writer(WatchPeer peer, int total, long warmupPuts) {
      this.peer = peer;
      this.total = total;
      this.warmupPuts = warmupPuts;
      this.revisions = new AtomicLongArray(total);
      this.pad = "x".repeat(Math.max(0, valueSize - 32));
    }

    void start(ScheduledExecutorService sched, long start, long periodNanos) {
      tick =
          sched.scheduleAtFixedRate(
              () -> {
                long now = System.nanoTime();
                if (now < start) {
                  return;
                }
                long due = Math.min(total, (now - start) / periodNanos + 1);
                while (!aborted && next < due && inFlight.tryAcquire()) {
                  long intended = start + next * periodNanos;
                  send(next++, intended);
                }
                if (next >= total || aborted) {
                  pacedAll.countDown();
                  tick.cancel(false);
                }
              },
              0,
              1,
              TimeUnit.MILLISECONDS);
    }

    volatile boolean aborted;

    /** Stops pacing: no more puts are sent; true the first time. */
    synchronized boolean abort() {
      if (aborted) {
        return false;
      }
      aborted = true;
      tick.cancel(false);
      pacedAll.countDown();
      int sentSoFar = next;
      // puts never sent count as completed so that allDone can fire
      if (completed.addAndGet(total - sentSoFar) == total) {
        allDone.complete(null);
      }
      return true;
    }

    void send(int i, long intended) {
      long sentAt = System.nanoTime();
      long lag = sentAt - intended;
      if (i >= warmupPuts && lag > maxLagNanos.get()) {
        maxLagNanos.set(lag);
      }
      if (i >= warmupPuts) {
        measuredSent.incrementAndGet();
      }
      // The scheduled send time: a put that had to wait for the server counts its wait.
      String value = i + ":" + intended + ":" + pad;
      peer.put(
          i,
          intended,
          value,
          (revision, failure) -> {
            long done = System.nanoTime();
            inFlight.release();
            if (failure == null) {
              revisions.set(i, revision);
              if (i >= warmupPuts) {
                putLatency.recordValue(Math.max(0, (done - intended) / 1000));
              }
            } else {
              errors.increment();
              if (errors.sum() <= 5) {
                log.printf("[watch] put %d failed: %s%n", i, failure);
              }
            }
            if (completed.incrementAndGet() == total) {
              allDone.complete(null);
            }
          });
    }

    /** Acknowledged revisions as bits at {@code revision - r0 - 1}. */
    BitSet ackedRevisions(long r0) {
      BitSet b = new BitSet(total);
      for (int i = 0; i < total; i++) {
        long rev = revisions.get(i);
        if (rev > r0) {
          b.set(Math.toIntExact(rev - r0 - 1));
        }
      }
      return b;
    }
  }

  // ------------------------------------------------------------------ receiving

  /** The watches of one connection; called on that connection's reader thread only. */
  static final class Receiver extends WatchTally implements TextSocket.Handler {
    static final String SINGLE = "{\"watch_id\":";
    static final String GROUP = "{\"watch_ids\":[";

    Receiver(int base, int count, long r0, long warmupPuts) {
      super(base, count, r0, warmupPuts);
    }

    /** The events of the message being handled: sequence number, send time, revision. */
    private long[] seqs = new long[16];

    private long[] sentAts = new long[16];
    private long[] revs = new long[16];
    private int[] ids = new int[16];

    @Override
    public void onMessage(String text) {
      long now = System.nanoTime();
      synchronized (this) {
        int nIds;
        if (text.startsWith(GROUP)) {
          // {"watch_ids":[a,b,...],"revision":R,"events":[...]}: the events of every listed watch.
          nIds = 0;
          int pos = GROUP.length();
          int end = text.indexOf(']', pos);
          while (end > 0 && pos < end) {
            int comma = text.indexOf(',', pos);
            int stop = comma < 0 || comma > end ? end : comma;
            long id = Scan.parseLong(text, pos, stop);
            if (id < 0 || id >= count) {
              malformed++;
              return;
            }
            if (nIds == ids.length) {
              ids = java.util.Arrays.copyOf(ids, 2 * nIds);
            }
            ids[nIds++] = (int) id;
            pos = stop + 1;
          }
          if (nIds == 0 || text.indexOf("\"events\":[", end) < 0) {
            malformed++;
            return;
          }
        } else if (text.startsWith(SINGLE)) {
          int id = (int) Scan.longAfter(text, SINGLE, 0);
          if (id < 0 || id >= count) {
            malformed++;
            return;
          }
          if (text.indexOf("\"events\":[") < 0) {
            if (text.contains("\"created\":true")) {
              created.incrementAndGet();
            } else if (text.contains("\"canceled\":true")) {
              cancelled.incrementAndGet();
              int r = text.indexOf("\"reason\":\"");
              String reason = r < 0 ? "?" : text.substring(r + 10, text.indexOf('"', r + 10));
              cancelReasons.merge(reason, 1, Integer::sum);
            }
            return; // progress notifications
          }
          ids[0] = id;
          nIds = 1;
        } else {
          if (text.contains("\"error\"")) {
            errors.incrementAndGet();
            if (errorSamples.size() < 5) {
              errorSamples.add(text);
            }
          }
          return;
        }
        // The events, scanned once whatever the number of watches they are for.
        int pos = text.indexOf("\"events\":[");
        int n = 0;
        while ((pos = text.indexOf("\"value\":\"", pos)) >= 0) {
          pos += 9;
          int colon = text.indexOf(':', pos);
          long seq = Scan.parseLong(text, pos, colon);
          int colon2 = text.indexOf(':', colon + 1);
          long sentAt = Scan.parseLong(text, colon + 1, colon2);
          int mr = text.indexOf("\"mod_revision\":", colon2);
          if (mr < 0 || seq < 0 || sentAt < 0) {
            malformed++;
            break;
          }
          long rev = Scan.longAfter(text, "\"mod_revision\":", mr);
          pos = mr;
          if (rev - r0 - 1 < 0) {
            malformed++;
            continue;
          }
          if (n == revs.length) {
            seqs = java.util.Arrays.copyOf(seqs, 2 * n);
            sentAts = java.util.Arrays.copyOf(sentAts, 2 * n);
            revs = java.util.Arrays.copyOf(revs, 2 * n);
          }
          seqs[n] = seq;
          sentAts[n] = sentAt;
          revs[n] = rev;
          n++;
        }
        for (int i = 0; i < nIds; i++) {
          int id = ids[i];
          for (int e = 0; e < n; e++) {
            int bit = (int) (revs[e] - r0 - 1);
            if (got[id].get(bit)) {
              duplicates++;
            } else {
              got[id].set(bit);
            }
            if (revs[e] <= lastRevision[id]) {
              outOfOrder++;
            }
            lastRevision[id] = revs[e];
          }
        }
        for (int e = 0; e < n; e++) {
          if (seqs[e] >= warmupPuts) {
            // Once per watcher: each listed watch received the event at this time.
            latency.recordValueWithCount(
                Math.min(MAX_MICROS, Math.max(0, (now - sentAts[e]) / 1000)), nIds);
          }
        }
        received.addAndGet((long) n * nIds);
      }
    }

    @Override
    public void onClosed(int status, String reason) {
      closed = true;
    }

    @Override
    public void onError(Throwable t) {
      closed = true;
      errors.incrementAndGet();
      synchronized (this) {
        if (errorSamples.size() < 5) {
          errorSamples.add(t.toString());
        }
      }
    }
  }

  /** Allocation-free scanning of the server's JSON, whose field order is fixed. */
  static final class Scan {
    private Scan() {}

    /** The non-negative integer right after {@code token} (searched from {@code from}), or -1. */
    static long longAfter(String s, String token, int from) {
      int i = s.indexOf(token, from);
      if (i < 0) {
        return -1;
      }
      int start = i + token.length();
      int end = start;
      while (end < s.length() && Character.isDigit(s.charAt(end))) {
        end++;
      }
      return parseLong(s, start, end);
    }

    static long parseLong(String s, int start, int end) {
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
  }
}
