package dev.cairn.bench.lease;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.CommonPool;
import dev.cairn.bench.load.DurationConverter;
import dev.cairn.bench.peers.EtcdTarget;
import dev.cairn.bench.watch.ServerProbe;
import dev.cairn.bench.watch.TextSocket;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--url",
      description =
          "server base URL (default: http://127.0.0.1:7070, etcd mode: http://127.0.0.1:2379)")
  URI url;

  @Option(
      names = "--mode",
      description = "ws, http or etcd (see EtcdLeases) (default: ${DEFAULT-VALUE})")
  Mode mode = Mode.WS;

  @Option(
      names = {"-n", "--leases"},
      description = "leases to grant and keep alive (default: ${DEFAULT-VALUE})")
  int leases = 100_000;

  @Option(names = "--ttl", description = "lease TTL in seconds (default: ${DEFAULT-VALUE})")
  int ttl = 30;

  @Option(
      names = "--hold",
      converter = DurationConverter.class,
      description = "how long to keep them alive after granting (default: 60s)")
  Duration hold = Duration.ofSeconds(60);

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
      converter = DurationConverter.class,
      description = "ws: heartbeat interval per session (default: 1s)")
  Duration heartbeat = Duration.ofSeconds(1);

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

  @Option(
      names = "--etcd-api",
      description =
          "etcd: gateway prefix, e.g. /v3 (default: the first of /v3, /v3beta, /v3alpha that answers)")
  String etcdApi;

  @Option(
      names = "--renew-every",
      converter = DurationConverter.class,
      description = "http, etcd: renewal period of each lease (default: TTL/3)")
  Duration renewEvery;

  @Option(
      names = "--max-phase",
      converter = DurationConverter.class,
      description =
          "http: after the hold and the check, run the clients closed loop this long to find the ceiling; 0 = skip (default: 10s)")
  Duration maxPhase = Duration.ofSeconds(10);

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

  @Option(
      names = "--server-pid",
      description = "server process (default: the process listening on the URL's port)")
  long serverPid = 0;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final PrintStream log;
  private HttpClient http;
  private ServerProbe server;

  public LeaseKeepalive() {
    this(System.out, System.err);
  }

  LeaseKeepalive(PrintStream out, PrintStream log) {
    this.out = out;
    this.log = log;
  }

  public static void main(String[] args) {
    CommonPool.ensureThreads();
    System.exit(
        new CommandLine(new LeaseKeepalive())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .execute(args));
  }

  @Override
  public Integer call() throws Exception {
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
    Duration renew = renewEvery != null ? renewEvery : Duration.ofMillis(ttl * 1000L / 3);
    if (url == null) {
      url = URI.create(mode == Mode.ETCD ? "http://127.0.0.1:2379" : "http://127.0.0.1:7070");
    }
    int port = url.getPort() > 0 ? url.getPort() : 80;
    server = ServerProbe.of(serverPid, port);
    if (!server.known()) {
      log.printf(
          "[lease] server process not found (port %d); memory and CPU figures will be null%n",
          port);
    }
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    Map<String, Object> j = ServerProbe.header("lease_keepalive");
    j.put("mode", mode.name().toLowerCase());
    j.put("leases", leases);
    j.put("ttl_s", ttl);
    j.put("hold_s", hold.toNanos() / 1e9);
    if (mode == Mode.ETCD) {
      return runEtcd(j, renew);
    }

    long heap0 = heap();
    long rss0 = server.rssBytes();
    log.printf("[lease] before: heap %s, rss %s%n", mb(heap0), mb(rss0));

    AtomicLongArray ids = new AtomicLongArray(leases);
    AtomicLongArray grantedAt = new AtomicLongArray(leases);
    Sessions ws = null;
    Keepalives ka = null;
    double grantS;
    long t0 = System.nanoTime();
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "progress");
              t.setDaemon(true);
              return t;
            });
    long[] lastCount = {0};
    java.util.concurrent.ScheduledFuture<?> progress =
        ticker.scheduleAtFixedRate(
            () -> {
              long g =
                  sessionsForProgress != null && grant == Grant.WS
                      ? sessionsForProgress.grantedSoFar.sum()
                      : granted(ids);
              long n = g + (grant == Grant.HTTP && mode == Mode.WS ? attachedCount() : 0);
              log.printf(
                  "[lease] t=%.0fs: %d granted%s (%d/s over the last 5 s)%n",
                  (System.nanoTime() - t0) / 1e9,
                  g,
                  mode == Mode.WS && grant == Grant.HTTP
                      ? ", " + attachedCount() + " attached"
                      : "",
                  (n - lastCount[0]) / 5);
              lastCount[0] = n;
            },
            5,
            5,
            TimeUnit.SECONDS);
    if (mode == Mode.WS) {
      j.put("sessions", sessions);
      j.put("grant", grant.name().toLowerCase());
      j.put("heartbeat_s", heartbeat.toNanos() / 1e9);
      ws = new Sessions();
      sessionsForProgress = ws;
      ws.open();
      if (grant == Grant.WS) {
        ws.grantAll(ids);
      } else {
        // attach each lease as soon as its grant is answered, so none waits a TTL for its session
        Sessions sessionsNow = ws;
        Thread attacher = new Thread(() -> sessionsNow.attachAll(ids), "attacher");
        attacher.start();
        grantHttp(ids, grantedAt);
        ws.grantsDone = true;
        attacher.join();
      }
    } else {
      j.put("clients", clients);
      j.put("renew_every_s", renew.toNanos() / 1e9);
      // renewals run from the start: with a long grant phase the first leases need them early
      ka = new Keepalives(ids, grantedAt, renew.toNanos());
      ka.startPaced();
      grantHttp(ids, grantedAt);
      ka.grantsDone = true;
    }
    progress.cancel(false);
    grantS = (System.nanoTime() - t0) / 1e9;
    long granted = granted(ids);
    ticker.shutdownNow();
    j.put("granted", granted);
    j.put("grant_s", ServerProbe.round(grantS, 2));
    j.put("grants_per_sec", ServerProbe.round(granted / grantS, 0));
    log.printf(
        "[lease] %d leases granted%s in %.1fs%n",
        granted, mode == Mode.WS ? " on the sessions" : "", grantS);

    long heap1 = heap();
    long rss1 = server.rssBytes();
    log.printf("[lease] after granting: heap %s, rss %s%n", mb(heap1), mb(rss1));

    // ---------------------------------------------------------------- hold
    long holdStart = System.nanoTime();
    double serverCpu0 = server.cpuSeconds();
    double clientCpu0 = ServerProbe.ownCpuSeconds();
    if (ka != null) {
      ka.resetWindow();
    }
    TimeUnit.NANOSECONDS.sleep(hold.toNanos());
    double serverCpu1 = server.cpuSeconds();
    double clientCpu1 = ServerProbe.ownCpuSeconds();
    double holdS = (System.nanoTime() - holdStart) / 1e9;
    j.put("server_cpu_cores_hold", ServerProbe.round((serverCpu1 - serverCpu0) / holdS, 3));
    j.put("client_cpu_cores_hold", ServerProbe.round((clientCpu1 - clientCpu0) / holdS, 3));
    if (ka != null) {
      Keepalives.Window w = ka.window(holdS);
      j.put("keepalives_per_sec", ServerProbe.round(w.rate(), 1));
      j.put("keepalives_needed_per_sec", ServerProbe.round(leases / (renew.toNanos() / 1e9), 1));
      j.put("keepalive_p50_ms", ms(w.latency(), 50));
      j.put("keepalive_p99_ms", ms(w.latency(), 99));
      j.put("keepalive_p999_ms", ms(w.latency(), 99.9));
      j.put("keepalive_max_ms", ms(w.latency(), 100));
      j.put("keepalive_errors", ka.errors.sum());
      j.put("schedule_lag_max_s", ServerProbe.round(ka.maxLagNanos.get() / 1e9, 3));
      j.put("renewal_gap_max_s", ServerProbe.round(ka.maxGapNanos.get() / 1e9, 3));
    } else {
      j.put("session_expired_msgs", ws.expired.sum());
      j.put("session_errors", ws.errors.sum());
      j.put("heartbeats_answered", ws.heartbeats.sum());
    }

    // ---------------------------------------------------------------- memory at steady state
    long heap2 = heap();
    long rss2 = server.rssBytes();
    log.printf("[lease] after the hold: heap %s, rss %s%n", mb(heap2), mb(rss2));
    j.put("heap_before_mb", ServerProbe.round(heap0 / 1048576.0, 1));
    j.put("heap_granted_mb", ServerProbe.round(heap1 / 1048576.0, 1));
    j.put("heap_held_mb", ServerProbe.round(heap2 / 1048576.0, 1));
    j.put("heap_per_lease_granted_b", perLease(heap0, heap1, granted));
    j.put("heap_per_lease_held_b", perLease(heap0, heap2, granted));
    j.put("rss_before_mb", ServerProbe.round(rss0 / 1048576.0, 1));
    j.put("rss_held_mb", ServerProbe.round(rss2 / 1048576.0, 1));
    j.put("rss_per_lease_held_b", perLease(rss0, rss2, granted));

    // ---------------------------------------------------------------- no lease expired
    long listed = listLeases();
    long[] sampleResult = sampleLeases(ids);
    j.put("listed_after_hold", listed);
    j.put("sampled", sampleResult[0]);
    j.put("sampled_missing", sampleResult[1]);
    j.put("sampled_min_ttl_s", sampleResult[2] == Long.MAX_VALUE ? null : sampleResult[2]);
    boolean ok = listed == granted && sampleResult[1] == 0 && granted == leases;
    if (ka != null) {
      ok &= ka.notFound.sum() == 0;
      j.put("keepalive_not_found", ka.notFound.sum());
    } else {
      ok &= ws.expired.sum() == 0;
    }
    j.put("expired", listed >= 0 ? granted - listed : null);

    // ---------------------------------------------------------------- ceiling (http)
    if (ka != null && !maxPhase.isZero()) {
      ka.stop();
      ka.awaitIdle();
      ka.resetWindow();
      double c0 = server.cpuSeconds();
      long m0 = System.nanoTime();
      ka.startClosedLoop();
      TimeUnit.NANOSECONDS.sleep(maxPhase.toNanos());
      double c1 = server.cpuSeconds();
      double mS = (System.nanoTime() - m0) / 1e9;
      Keepalives.Window w = ka.window(mS);
      j.put("max_phase_s", ServerProbe.round(mS, 1));
      j.put("max_keepalives_per_sec", ServerProbe.round(w.rate(), 1));
      j.put("max_keepalive_p50_ms", ms(w.latency(), 50));
      j.put("max_keepalive_p99_ms", ms(w.latency(), 99));
      j.put("max_server_cpu_cores", ServerProbe.round((c1 - c0) / mS, 3));
      j.put(
          "server_cpu_us_per_keepalive",
          ServerProbe.round((c1 - c0) * 1e6 / Math.max(1, w.count()), 1));
    }
    if (ka != null) {
      ka.stop();
    }
    if (ws != null) {
      ws.close();
    }
    j.put("server_pid", server.pid());
    // date and load at the end of the run; the load at the start is kept beside it
    Map<String, Object> end = ServerProbe.header("lease_keepalive");
    j.put("load_avg_start", j.get("load_avg"));
    j.putAll(end);
    out.println(JSON.writeValueAsString(j));
    out.flush();
    return ok ? 0 : 3;
  }

  /** The etcd mode: grant, hold with batched keepalives, check; see {@link EtcdLeases}. */
  private int runEtcd(Map<String, Object> j, Duration renew) throws Exception {
    String api = etcdApi != null ? etcdApi : EtcdTarget.detectApiPrefix(http, url);
    EtcdLeases etcd =
        new EtcdLeases(url, api, http, leases, ttl, clients, batch, grantConcurrency, renew, log);
    j.put("etcd_api", api);
    j.put("clients", clients);
    j.put("batch", batch);
    j.put("renew_every_s", renew.toNanos() / 1e9);
    long rss0 = server.rssBytes();
    log.printf("[lease] before: rss %s%n", mb(rss0));
    try {
      double grantS = etcd.grant();
      long granted = etcd.granted();
      j.put("granted", granted);
      j.put("grant_s", ServerProbe.round(grantS, 2));
      j.put("grants_per_sec", ServerProbe.round(granted / grantS, 0));
      long rss1 = server.rssBytes();
      log.printf("[lease] %d etcd leases granted in %.1fs; rss %s%n", granted, grantS, mb(rss1));

      long renewed0 = etcd.renewed.sum();
      long requests0 = etcd.requests.sum();
      etcd.latencySinceLast();
      long holdStart = System.nanoTime();
      double serverCpu0 = server.cpuSeconds();
      double clientCpu0 = ServerProbe.ownCpuSeconds();
      TimeUnit.NANOSECONDS.sleep(hold.toNanos());
      double serverCpu1 = server.cpuSeconds();
      double clientCpu1 = ServerProbe.ownCpuSeconds();
      double holdS = (System.nanoTime() - holdStart) / 1e9;
      long renewedHold = etcd.renewed.sum() - renewed0;
      j.put("server_cpu_cores_hold", ServerProbe.round((serverCpu1 - serverCpu0) / holdS, 3));
      j.put("client_cpu_cores_hold", ServerProbe.round((clientCpu1 - clientCpu0) / holdS, 3));
      etcd.describeWindow(j, holdS, renewedHold, etcd.requests.sum() - requests0);
      j.put(
          "server_cpu_us_per_keepalive",
          renewedHold == 0
              ? null
              : ServerProbe.round((serverCpu1 - serverCpu0) * 1e6 / renewedHold, 1));

      long rss2 = server.rssBytes();
      log.printf("[lease] after the hold: rss %s%n", mb(rss2));
      j.put("heap_per_lease_held_b", null); // a Go process: RSS only
      j.put("rss_before_mb", ServerProbe.round(rss0 / 1048576.0, 1));
      j.put("rss_granted_mb", ServerProbe.round(rss1 / 1048576.0, 1));
      j.put("rss_held_mb", ServerProbe.round(rss2 / 1048576.0, 1));
      j.put("rss_per_lease_granted_b", perLease(rss0, rss1, granted));
      j.put("rss_per_lease_held_b", perLease(rss0, rss2, granted));

      // checked while the renewers still run, as in the other modes
      long listed = etcd.listLeases();
      long[] sampleResult = etcd.sampleLeases(sample);
      j.put("listed_after_hold", listed);
      j.put("sampled", sampleResult[0]);
      j.put("sampled_missing", sampleResult[1]);
      j.put("sampled_min_ttl_s", sampleResult[2] == Long.MAX_VALUE ? null : sampleResult[2]);
      j.put("keepalive_not_found", etcd.notFound.sum());
      j.put("expired", listed >= 0 ? granted - listed : null);
      boolean ok =
          listed == granted
              && sampleResult[1] == 0
              && granted == leases
              && etcd.notFound.sum() == 0;
      j.put("server_pid", server.pid());
      Map<String, Object> end = ServerProbe.header("lease_keepalive");
      j.put("load_avg_start", j.get("load_avg"));
      j.putAll(end);
      out.println(JSON.writeValueAsString(j));
      out.flush();
      return ok ? 0 : 3;
    } finally {
      etcd.stop();
    }
  }

  private static long granted(AtomicLongArray ids) {
    long n = 0;
    for (int i = 0; i < ids.length(); i++) {
      n += ids.get(i) > 0 ? 1 : 0;
    }
    return n;
  }

  private volatile Sessions sessionsForProgress;

  private long attachedCount() {
    Sessions s = sessionsForProgress;
    return s == null ? 0 : s.handlers.stream().mapToLong(h -> h.attached.sum()).sum();
  }

  private long heap() {
    return gc ? server.heapAfterGc(http, url) : ServerProbe.heapUsedBytes(http, url);
  }

  private static Double perLease(long before, long after, long n) {
    if (before < 0 || after < 0 || n <= 0) {
      return null;
    }
    return ServerProbe.round(Math.max(0, after - before) / (double) n, 1);
  }

  private static String mb(long bytes) {
    return bytes < 0 ? "?" : String.format("%.1f MiB", bytes / 1048576.0);
  }

  private static Double ms(Histogram h, double p) {
    if (h.getTotalCount() == 0) {
      return null;
    }
    return ServerProbe.round((p >= 100 ? h.getMaxValue() : h.getValueAtPercentile(p)) / 1e3, 2);
  }

  // ------------------------------------------------------------------ HTTP helpers

  private HttpRequest.Builder req(String path) {
    return HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(30));
  }

  /** Grants {@link #leases} leases over HTTP with {@link #grantConcurrency} in flight. */
  private void grantHttp(AtomicLongArray ids, AtomicLongArray grantedAt)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(grantConcurrency);
    LongAdder errors = new LongAdder();
    String body = "{\"ttl\":" + ttl + "}";
    for (int i = 0; i < leases; i++) {
      inFlight.acquire();
      int idx = i;
      http.sendAsync(
              req("/v1/leases").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
              HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (r, e) -> {
                if (e == null && r.statusCode() == 200) {
                  grantedAt.set(idx, System.nanoTime());
                  ids.set(idx, longAfter(r.body(), "\"id\":"));
                } else {
                  errors.increment();
                  if (errors.sum() <= 5) {
                    log.printf(
                        "[lease] grant failed: %s%n",
                        e != null ? e : r.statusCode() + " " + r.body());
                  }
                }
                inFlight.release();
              });
    }
    inFlight.acquire(grantConcurrency);
    inFlight.release(grantConcurrency);
  }

  /** How many leases {@code GET /v1/leases} lists, or -1. */
  private long listLeases() {
    try {
      HttpResponse<String> r =
          http.send(req("/v1/leases").GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        log.printf("[lease] GET /v1/leases: %d %s%n", r.statusCode(), r.body());
        return -1;
      }
      String b = r.body();
      long n = 0;
      for (int i = b.indexOf("{\"id\":"); i >= 0; i = b.indexOf("{\"id\":", i + 1)) {
        n++;
      }
      return n;
    } catch (Exception e) {
      log.printf("[lease] GET /v1/leases failed: %s%n", e);
      return -1;
    }
  }

  /** {sampled, missing, min remaining ttl} over a random sample of GET /v1/leases/{id}. */
  private long[] sampleLeases(AtomicLongArray ids) {
    long sampled = 0;
    long missing = 0;
    long minTtl = Long.MAX_VALUE;
    for (int s = 0; s < Math.min(sample, ids.length()); s++) {
      long id = ids.get(ThreadLocalRandom.current().nextInt(ids.length()));
      if (id <= 0) {
        continue;
      }
      try {
        HttpResponse<String> r =
            http.send(req("/v1/leases/" + id).GET().build(), HttpResponse.BodyHandlers.ofString());
        sampled++;
        if (r.statusCode() == 200) {
          minTtl = Math.min(minTtl, longAfter(r.body(), "\"ttl\":"));
        } else {
          missing++;
          if (missing <= 3) {
            log.printf("[lease] GET /v1/leases/%d: %d %s%n", id, r.statusCode(), r.body());
          }
        }
      } catch (Exception e) {
        log.printf("[lease] GET /v1/leases/%d failed: %s%n", id, e);
      }
    }
    return new long[] {sampled, missing, minTtl};
  }

  static long longAfter(String s, String token) {
    int i = s.indexOf(token);
    if (i < 0) {
      return -1;
    }
    int start = i + token.length();
    int end = start;
    while (end < s.length() && Character.isDigit(s.charAt(end))) {
      end++;
    }
    return end > start ? Long.parseLong(s.substring(start, end)) : -1;
  }

  // ------------------------------------------------------------------ HTTP keepalives

  /**
   * {@link #clients} workers, one request in flight each. Worker c owns leases c, c+C, c+2C, ... (m
   * of them) and goes round them: paced, its k-th keepalive renews its lease k mod m at {@code
   * granted + (k / m + 1) * period}, so renewals start while later leases are still being granted;
   * closed loop, at once.
   */
  private final class Keepalives {
    record Window(long count, double seconds, Histogram latency) {
      double rate() {
        return count / seconds;
      }
    }

    final AtomicLongArray ids;
    final AtomicLongArray grantedAt;
    final long periodNanos;
    final AtomicLongArray lastRenew;
    final LongAdder errors = new LongAdder();
    final LongAdder notFound = new LongAdder();
    final LongAdder done = new LongAdder();
    final AtomicLong maxLagNanos = new AtomicLong();
    final AtomicLong maxGapNanos = new AtomicLong();
    final Recorder latency = new Recorder(TimeUnit.MINUTES.toMicros(5), 3);
    final ScheduledExecutorService sched =
        Executors.newScheduledThreadPool(
            1,
            r -> {
              Thread t = new Thread(r, "keepalive-pacer");
              t.setDaemon(true);
              return t;
            });
    final AtomicLong running = new AtomicLong();
    volatile boolean grantsDone;
    volatile boolean stopped;
    volatile long generation;

    Keepalives(AtomicLongArray ids, AtomicLongArray grantedAt, long periodNanos) {
      this.ids = ids;
      this.grantedAt = grantedAt;
      this.periodNanos = periodNanos;
      this.lastRenew = new AtomicLongArray(ids.length());
    }

    void startPaced() {
      start(true);
    }

    void startClosedLoop() {
      start(false);
    }

    private void start(boolean paced) {
      stopped = false;
      long gen = ++generation;
      for (int c = 0; c < clients; c++) {
        int m = (ids.length() - c + clients - 1) / clients;
        if (m <= 0) {
          continue;
        }
        running.incrementAndGet();
        next(gen, paced, c, m, 0);
      }
    }

    void stop() {
      stopped = true;
    }

    void awaitIdle() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (running.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }

    void resetWindow() {
      latency.getIntervalHistogram();
      done.reset();
    }

    Window window(double seconds) {
      return new Window(done.sum(), seconds, latency.getIntervalHistogram());
    }

    /** Worker c's k-th keepalive. */
    private void next(long gen, boolean paced, int c, int m, long k) {
      if (stopped || gen != generation) {
        running.decrementAndGet();
        return;
      }
      int idx = (int) (c + (k % m) * clients);
      long id = ids.get(idx);
      if (id <= 0) {
        if (grantsDone) { // that grant failed: skip the lease
          sched.execute(() -> next(gen, paced, c, m, k + 1));
        } else { // not granted yet
          sched.schedule(() -> next(gen, paced, c, m, k), 5, TimeUnit.MILLISECONDS);
        }
        return;
      }
      if (k < m) {
        lastRenew.compareAndSet(idx, 0, grantedAt.get(idx));
      }
      long now = System.nanoTime();
      long due = paced ? grantedAt.get(idx) + (k / m + 1) * periodNanos : now;
      if (due > now) {
        sched.schedule(
            () -> send(gen, paced, c, m, k, idx, id, due), due - now, TimeUnit.NANOSECONDS);
      } else {
        send(gen, paced, c, m, k, idx, id, due);
      }
    }

    private void send(long gen, boolean paced, int c, int m, long k, int idx, long id, long due) {
      long sentAt = System.nanoTime();
      if (paced) {
        maxLag(maxLagNanos, sentAt - due);
      }
      maxLag(maxGapNanos, sentAt - lastRenew.get(idx));
      http.sendAsync(
              req("/v1/leases/" + id + "/keepalive")
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (r, e) -> {
                long end = System.nanoTime();
                if (e == null && r.statusCode() == 200) {
                  lastRenew.set(idx, sentAt);
                  latency.recordValue(
                      Math.min(TimeUnit.MINUTES.toMicros(5), (end - sentAt) / 1000));
                  done.increment();
                } else {
                  errors.increment();
                  if (r != null && r.statusCode() == 404) {
                    notFound.increment();
                  }
                  if (errors.sum() <= 5) {
                    log.printf(
                        "[lease] keepalive %d failed: %s%n",
                        id, e != null ? e : r.statusCode() + " " + r.body());
                  }
                }
                next(gen, paced, c, m, k + 1);
              });
    }

    private static void maxLag(AtomicLong max, long v) {
      long cur;
      while (v > (cur = max.get()) && !max.compareAndSet(cur, v)) {
        // retry
      }
    }
  }

  // ------------------------------------------------------------------ WebSocket sessions

  private final class Sessions {
    final List<TextSocket> sockets = new ArrayList<>();
    final List<Session> handlers = new ArrayList<>();
    final LongAdder expired = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder heartbeats = new LongAdder();
    final LongAdder grantedSoFar = new LongAdder();
    final ScheduledExecutorService beat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "heartbeat");
              t.setDaemon(true);
              return t;
            });

    /** One session's replies; ids granted in reply order. */
    final class Session implements TextSocket.Handler {
      final Semaphore window = new Semaphore(LeaseKeepalive.this.window);
      final List<Long> granted = new ArrayList<>();
      final LongAdder attached = new LongAdder();

      @Override
      public void onMessage(String text) {
        if (text.startsWith("{\"heartbeat\"")) {
          heartbeats.increment();
        } else if (text.startsWith("{\"lease_granted\"")) {
          synchronized (this) {
            granted.add(longAfter(text, "\"id\":"));
          }
          grantedSoFar.increment();
          window.release();
        } else if (text.startsWith("{\"lease_attached\"")) {
          attached.increment();
          window.release();
        } else if (text.startsWith("{\"lease_expired\"")) {
          expired.increment();
          if (expired.sum() <= 5) {
            log.printf("[lease] session: %s%n", text);
          }
        } else if (text.startsWith("{\"error\"")) {
          errors.increment();
          if (errors.sum() <= 5) {
            log.printf("[lease] session error: %s%n", text);
          }
          window.release();
        }
      }

      @Override
      public void onClosed(int status, String reason) {
        log.printf("[lease] session closed by the server: %d %s%n", status, reason);
      }
    }

    void open() throws Exception {
      URI wsUri =
          URI.create(url.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + "/v1/watch");
      HttpClient wsClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      for (int s = 0; s < sessions; s++) {
        Session h = new Session();
        handlers.add(h);
        sockets.add(TextSocket.open(wsClient, wsUri, h).get(30, TimeUnit.SECONDS));
      }
      long period = heartbeat.toNanos();
      beat.scheduleAtFixedRate(
          () -> sockets.forEach(s -> s.send("{\"heartbeat\":{}}")),
          period,
          period,
          TimeUnit.NANOSECONDS);
    }

    void grantAll(AtomicLongArray ids) throws InterruptedException {
      String msg = "{\"lease_grant\":{\"ttl\":" + ttl + "}}";
      for (int i = 0; i < leases; i++) {
        int s = i % sessions;
        handlers.get(s).window.acquire();
        sockets.get(s).send(msg);
      }
      for (Session h : handlers) {
        h.window.acquire(window);
        h.window.release(window);
      }
      int i = 0;
      for (Session h : handlers) {
        synchronized (h) {
          for (long id : h.granted) {
            if (i < leases) {
              ids.set(i++, id);
            }
          }
        }
      }
    }

    volatile boolean grantsDone;

    /** Attaches lease i to session i mod S, in index order, waiting for each grant's answer. */
    void attachAll(AtomicLongArray ids) {
      try {
        for (int i = 0; i < ids.length(); i++) {
          while (ids.get(i) <= 0 && !grantsDone) {
            Thread.sleep(1);
          }
          if (ids.get(i) <= 0) {
            continue; // that grant failed
          }
          int s = i % sessions;
          handlers.get(s).window.acquire();
          sockets.get(s).send("{\"lease_attach\":{\"id\":" + ids.get(i) + "}}");
        }
        for (Session h : handlers) {
          h.window.acquire(window);
          h.window.release(window);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void close() {
      beat.shutdownNow();
      for (TextSocket s : sockets) {
        s.close();
      }
    }
  }
}
