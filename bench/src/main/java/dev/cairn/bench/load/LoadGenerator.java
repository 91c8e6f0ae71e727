package dev.cairn.bench.load;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.EtcdApi;
import dev.cairn.bench.cli.RunWindow;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.cli.ZooKeeperOptions;
import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Target;
import dev.cairn.bench.load.target.Workload;
import dev.cairn.bench.peers.EtcdTarget;
import dev.cairn.bench.peers.ZooKeeperTarget;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Drives Cairn or a peer with {@code --clients} closed-loop clients doing one operation over a
 * fixed key space, and prints one JSON line with throughput and latency percentiles of the measured
 * window (after the warmup). Progress and error samples go to standard error.
 *
 * <p>Exit status: 0 when the run completed operations, 3 when none succeeded, 2 on bad usage, 1
 * when the target could not be set up.
 */
@Command(
    name = "load-generator",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Closed-loop load against Cairn's HTTP API, ZooKeeper or etcd; prints one JSON line per run.")
public final class LoadGenerator implements Callable<Integer> {

  /** Systems the generator can drive. */
  public enum TargetKind {
    CAIRN,
    /** Cairn through its own Java client ({@code client/}), as applications drive it. */
    CAIRN_CLIENT,
    ZOOKEEPER,
    ETCD
  }

  /** Whether to write every key before the measured phase. */
  public enum Preload {
    /** Preload unless the last key already exists. */
    AUTO,
    ALWAYS,
    NEVER
  }

  @Option(
      names = "--target",
      description =
          "cairn, cairn_client (Cairn's Java client), zookeeper or etcd (default: ${DEFAULT-VALUE})")
  TargetKind target = TargetKind.CAIRN;

  @Option(
      names = "--op",
      description =
          "put, get (linearizable) or ping (GET /health: the HTTP floor) (default: ${DEFAULT-VALUE})")
  Op op = Op.PUT;

  @Option(
      names = {"-c", "--clients"},
      description = "concurrent closed-loop clients (default: ${DEFAULT-VALUE})")
  int clients = 16;

  @Option(names = "--value-size", description = "bytes per value (default: ${DEFAULT-VALUE})")
  int valueSize = 256;

  @Option(names = "--keys", description = "distinct keys (default: ${DEFAULT-VALUE})")
  int keys = 10_000;

  @Option(names = "--key-prefix", description = "key name prefix (default: ${DEFAULT-VALUE})")
  String keyPrefix = "bench/k";

  @Mixin RunWindow window;

  @Option(
      names = "--timeout",
      defaultValue = "5s",
      description = "per-operation timeout, counted as an error (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Mixin TargetUrl url;

  @Option(
      names = "--urls",
      split = ",",
      description =
          "cairn: several servers (the nodes of a cluster), comma-separated; client i talks to"
              + " server i mod n (overrides --url)")
  List<URI> urls = List.of();

  @Option(
      names = "--namespaces",
      description =
          "cairn: spread the keys over this many namespaces bench-0 … bench-(n-1), created if"
              + " missing; 0 = the default namespace's /v1/kv (default: ${DEFAULT-VALUE})")
  int namespaces = 0;

  @Option(
      names = "--consistency",
      description = "cairn reads: linearizable or serializable (default: ${DEFAULT-VALUE})")
  String consistency = "linearizable";

  @Option(
      names = "--io-threads",
      description = "I/O threads of the HTTP client (default: ${DEFAULT-VALUE})")
  int ioThreads = 1;

  @Option(
      names = "--client-requests",
      description =
          "cairn_client: how the client sends requests: calls (over its session's WebSocket) or"
              + " h2c (HTTP/2 only) (default: ${DEFAULT-VALUE})")
  String clientRequests = "calls";

  @Mixin EtcdApi etcdApi;

  @Mixin ZooKeeperOptions zooKeeper;

  @Option(
      names = "--zk-sessions",
      description =
          "ZooKeeper sessions the clients share round-robin; 0 = min(clients, 8) (default: ${DEFAULT-VALUE})")
  int zkSessions = 0;

  @Option(
      names = "--preload",
      description =
          "auto, always or never (default: ${DEFAULT-VALUE}); auto skips when the last key exists")
  Preload preload = Preload.AUTO;

  @Option(
      names = "--preload-clients",
      description = "clients used to preload (default: ${DEFAULT-VALUE})")
  int preloadClients = 32;

  /** ZooKeeper sessions shared by the clients unless told otherwise (see README.md). */
  static final int DEFAULT_ZK_SESSIONS = 8;

  /** Where the JSON line goes. */
  private final PrintStream out;

  /** Where progress and error samples go. */
  private final PrintStream log;

  public LoadGenerator() {
    this(System.out, System.err);
  }

  LoadGenerator(PrintStream out, PrintStream log) {
    this.out = out;
    this.log = log;
  }

  public static void main(String[] args) {
    Cli.main(commandLine(new LoadGenerator()), args);
  }

  static CommandLine commandLine(LoadGenerator generator) {
    return Cli.commandLine(generator);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    if (op == Op.LOAD) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--op must be put or get");
    }
    if (clients <= 0
        || keys <= 0
        || valueSize < 0
        || ioThreads <= 0
        || preloadClients <= 0
        || timeout.isZero()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "clients, keys, io threads, preload clients and timeout must be positive");
    }
    Workload workload = Workload.of(keyPrefix, keys, valueSize);
    try (Target t = openTarget(workload)) {
      long setupErrors = new Preloader(preload, preloadClients, keys, timeout, log).preload(t);
      List<ClientChannel> channels = new ArrayList<>(clients);
      try {
        for (int i = 0; i < clients; i++) {
          channels.add(t.open(i));
        }
        log.printf(
            "[%s] %s: %d clients via %s, warmup %.1fs, measuring %.1fs%n",
            t.name(),
            op.label(),
            clients,
            t.clientDescription(),
            window.warmupSeconds(),
            window.durationSeconds());
        Measurement m =
            new ClosedLoop(op, timeout.toNanos())
                .measure(channels, keys, window.warmup().toNanos(), window.duration().toNanos());
        RunResult result =
            RunResult.of(
                new RunResult.Setup(
                    t.name(),
                    op.label(),
                    clients,
                    valueSize,
                    keys,
                    window.warmupSeconds(),
                    t.clientDescription()),
                m,
                setupErrors,
                Instant.now(),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.println(result.toJsonLine());
        out.flush();
        return m.ops() > 0 ? 0 : 3;
      } finally {
        channels.forEach(ClientChannel::close);
      }
    }
  }

  private Target openTarget(Workload workload) throws Exception {
    return switch (target) {
      case CAIRN -> cairnTarget(workload);
      case CAIRN_CLIENT ->
          new dev.cairn.bench.client.CairnClientTarget(
              url.resolve(false),
              Math.max(2, ioThreads),
              !clientRequests.equals("h2c"),
              workload,
              errorSamples());
      case ETCD -> {
        HttpTransport transport = transport(true);
        try {
          yield new EtcdTarget(transport, workload, etcdApi.resolve(transport), errorSamples());
        } catch (Exception e) {
          transport.close();
          throw e;
        }
      }
      case ZOOKEEPER ->
          new ZooKeeperTarget(
              zooKeeper.connect(),
              zkSessions > 0 ? zkSessions : Math.min(clients, DEFAULT_ZK_SESSIONS),
              zooKeeper.sessionTimeout(),
              workload,
              errorSamples());
    };
  }

  private Target cairnTarget(Workload workload) throws Exception {
    if (!consistency.equals("linearizable") && !consistency.equals("serializable")) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--consistency must be linearizable or serializable");
    }
    if (namespaces < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--namespaces must be >= 0");
    }
    List<HttpTransport> transports = new ArrayList<>();
    for (URI u : urls.isEmpty() ? List.of(url.resolve(false)) : urls) {
      transports.add(new HttpTransport(u, ioThreads));
    }
    List<String> names = new ArrayList<>();
    try {
      for (int i = 0; i < namespaces; i++) {
        names.add("bench-" + i);
        HttpAnswer a =
            transports
                .get(0)
                .exchange(HttpCall.put("/v1/namespaces/bench-" + i, new byte[0], null), timeout);
        if (a.status() / 100 != 2) { // 201 when created, 200 when it existed
          throw new IllegalStateException("creating namespace bench-" + i + ": " + a.describe());
        }
      }
      return new CairnTarget(
          transports, workload, names, consistency.equals("serializable"), errorSamples());
    } catch (Exception | Error e) {
      transports.forEach(HttpTransport::close);
      throw e;
    }
  }

  private ErrorSamples errorSamples() {
    return new ErrorSamples(target.name().toLowerCase(java.util.Locale.ROOT), 5, log);
  }

  private HttpTransport transport(boolean etcd) {
    return new HttpTransport(url.resolve(etcd), ioThreads);
  }
}
