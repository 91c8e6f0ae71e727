package dev.cairn.bench.lease;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.EtcdApi;
import dev.cairn.bench.cli.ServerPid;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.Figures;
import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Keeps {@code --leases} leases alive from one client process for {@code --hold}, either through a
 * few WebSocket sessions ({@code --mode ws}: the leases are granted on, or attached to, the
 * sessions and the server renews them while heartbeats arrive) or through HTTP keepalives ({@code
 * --mode http}: {@code --clients} concurrent clients, each owning a share of the leases and
 * renewing each one every {@code --renew-every}, TTL/3 by default, one request in flight per
 * client). Prints one JSON line.
 *
 * <p><b>Memory per lease</b>: the server's heap in use after a full GC ({@code jcmd <pid> GC.run},
 * then {@code jvm_memory_used_bytes{area="heap"}} from {@code /metrics}) and its RSS, before
 * granting, right after granting, and at the end of the hold (when renewals have reached their
 * steady state), each difference divided by the number of leases.
 *
 * <p><b>Keepalive cost</b>: the server's CPU (from {@code /proc/<pid>/stat}) over the hold window;
 * for HTTP, the keepalives per second sustained, their latency, how far the clients fell behind
 * schedule, and the longest gap between two renewals of one lease (must stay below the TTL); then,
 * optionally ({@code --max-phase}), the same clients closed loop to find the ceiling.
 *
 * <p><b>No lease expired</b>: after the hold, {@code GET /v1/leases} must list every lease and a
 * random sample of {@code GET /v1/leases/{id}} must find each one; HTTP keepalives answered 404 and
 * WebSocket {@code lease_expired} messages are counted too.
 *
 * <p>The command holds the options; {@link CairnLeaseRun} runs the ws and http modes, {@link
 * EtcdLeaseRun} the etcd mode.
 *
 * <p>Exit status: 0 when no lease expired, 3 when some did (the JSON line is printed either way), 1
 * when the run could not be set up, 2 on bad usage.
 */
@Command(
    name = "lease-keepalive",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Keeps N leases alive over WebSocket sessions or HTTP keepalives; memory per lease, keepalive cost, no expiry.")
public final class LeaseKeepalive implements Callable<Integer> {

  /** How the leases are kept alive. */
  public enum Mode {
    /** WebSocket sessions on /v1/watch: the server renews while heartbeats arrive. */
    WS,
    /** POST /v1/leases/{id}/keepalive from concurrent clients. */
    HTTP,
    /** etcd through its JSON gateway: batched keepalive requests from concurrent clients. */
    ETCD
  }

  /** How a WebSocket session gets its leases. */
  public enum Grant {
    /** {@code lease_grant} on the session. */
    WS,
    /** {@code POST /v1/leases}, then {@code lease_attach} on the session. */
    HTTP
  }

  @Mixin TargetUrl url;

  @Option(
      names = "--mode",
      description = "ws, http or etcd (see the package docs) (default: ${DEFAULT-VALUE})")
  Mode mode = Mode.WS;

  @Option(
      names = {"-n", "--leases"},
      description = "leases to grant and keep alive (default: ${DEFAULT-VALUE})")
  int leases = 100_000;

  @Option(names = "--ttl", description = "lease TTL in seconds (default: ${DEFAULT-VALUE})")
  int ttl = 30;

  @Option(
      names = "--hold",
      defaultValue = "60s",
      description = "how long to keep them alive after granting (default: ${DEFAULT-VALUE})")
  Duration hold;

  @Option(
      names = "--sessions",
      description = "ws: WebSocket sessions the leases are spread over (default: ${DEFAULT-VALUE})")
  int sessions = 4;

  @Option(
      names = "--grant",
      description =
          "ws: grant with lease_grant on the session (ws) or over HTTP then lease_attach (http) (default: ${DEFAULT-VALUE})")
  Grant grant = Grant.WS;

  @Option(
      names = "--window",
      description =
          "ws: lease requests in flight per session while granting/attaching; keep sessions x window well under what the server does in 5 s (its ask timeout) (default: ${DEFAULT-VALUE})")
  int window = 64;

  @Option(
      names = "--heartbeat",
      defaultValue = "1s",
      description = "ws: heartbeat interval per session (default: ${DEFAULT-VALUE})")
  Duration heartbeat;

  @Option(
      names = "--grant-concurrency",
      description = "HTTP grants in flight (default: ${DEFAULT-VALUE})")
  int grantConcurrency = 64;

  @Option(
      names = {"-c", "--clients"},
      description =
          "http, etcd: concurrent keepalive clients, one request in flight each (default: ${DEFAULT-VALUE})")
  int clients = 32;

  @Option(
      names = "--batch",
      description = "etcd: leases renewed per keepalive request (default: ${DEFAULT-VALUE})")
  int batch = 1000;

  @Mixin EtcdApi etcdApi;

  @Option(
      names = "--renew-every",
      description = "http, etcd: renewal period of each lease (default: TTL/3)")
  Duration renewEvery;

  @Option(
      names = "--max-phase",
      defaultValue = "10s",
      description =
          "http: after the hold and the check, run the clients closed loop this long to find the ceiling; 0 = skip (default: ${DEFAULT-VALUE})")
  Duration maxPhase;

  @Option(
      names = "--sample",
      description =
          "leases checked one by one with GET /v1/leases/{id} after the hold (default: ${DEFAULT-VALUE})")
  int sample = 200;

  @Option(
      names = "--gc",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "full GC (jcmd <pid> GC.run) before each memory reading; --no-gc reads the heap as it is (default: ${DEFAULT-VALUE})")
  boolean gc = true;

  @Mixin ServerPid serverPid;

  private final PrintStream out;
  private final PrintStream log;

  public LeaseKeepalive() {
    this(System.out, System.err);
  }

  LeaseKeepalive(PrintStream out, PrintStream log) {
    this.out = out;
    this.log = log;
  }

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new LeaseKeepalive()), args);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    if (leases <= 0
        || ttl <= 0
        || sessions <= 0
        || window <= 0
        || clients <= 0
        || grantConcurrency <= 0
        || batch <= 0) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "counts and ttl must be positive");
    }
    boolean etcd = mode == Mode.ETCD;
    ServerProbe server = serverPid.probe(url.port(etcd), log, "lease");
    Map<String, Object> j = Figures.header("lease_keepalive");
    j.put("mode", mode.name().toLowerCase());
    j.put("leases", leases);
    j.put("ttl_s", ttl);
    j.put("hold_s", hold.toNanos() / 1e9);
    boolean ok;
    try (HttpTransport http = new HttpTransport(url.resolve(etcd), 1)) {
      ok =
          etcd
              ? new EtcdLeaseRun(this, http, server, log).run(j)
              : new CairnLeaseRun(this, http, server, log).run(j);
    }
    j.put("server_pid", server.pid());
    // date and load at the end of the run; the load at the start is kept beside it
    j.put("load_avg_start", j.get("load_avg"));
    j.putAll(Figures.header("lease_keepalive"));
    out.println(Figures.json(j));
    out.flush();
    return ok ? 0 : 3;
  }

  /** The renewal period of each lease: --renew-every, or a third of the TTL. */
  Duration renewEvery() {
    return renewEvery != null ? renewEvery : Duration.ofMillis(ttl * 1000L / 3);
  }
}
