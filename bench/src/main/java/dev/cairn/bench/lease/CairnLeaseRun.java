package dev.cairn.bench.lease;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.CpuWindow;
import dev.cairn.bench.report.Figures;
import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The ws and http modes against Cairn: memory before granting, grant (on the sessions, or over HTTP
 * with renewals starting at once), memory, hold, memory at steady state, the expiry check, and for
 * http the closed-loop ceiling. Adds its figures to the result line.
 */
final class CairnLeaseRun {
  private final LeaseKeepalive o;
  private final HttpTransport http;
  private final CairnLeases api;
  private final ServerProbe server;
  private final PrintStream log;
  private final AtomicLongArray ids;
  private final AtomicLongArray grantedAt;
  private volatile LeaseSessions sessions;

  CairnLeaseRun(LeaseKeepalive o, HttpTransport http, ServerProbe server, PrintStream log) {
    this.o = o;
    this.http = http;
    this.api = new CairnLeases(http, log);
    this.server = server;
    this.log = log;
    this.ids = new AtomicLongArray(o.leases);
    this.grantedAt = new AtomicLongArray(o.leases);
  }

  /** Runs; true when no lease expired. */
  boolean run(Map<String, Object> j) throws Exception {
    boolean ws = o.mode == LeaseKeepalive.Mode.WS;
    long heap0 = heap();
    long rss0 = server.rssBytes();
    log.printf("[lease] before: heap %s, rss %s%n", Figures.mibText(heap0), Figures.mibText(rss0));

    HttpKeepalives ka = null;
    long t0 = System.nanoTime();
    ScheduledExecutorService ticker = Cli.daemonScheduler("progress");
    ScheduledFuture<?> progress = reportProgress(ticker, t0);
    try {
      if (ws) {
        j.put("sessions", o.sessions);
        j.put("grant", o.grant.name().toLowerCase());
        j.put("heartbeat_s", o.heartbeat.toNanos() / 1e9);
        sessions = new LeaseSessions(http.base(), o.sessions, o.window, log);
        sessions.open(o.heartbeat);
        grantOnSessions();
      } else {
        j.put("clients", o.clients);
        j.put("renew_every_s", o.renewEvery().toNanos() / 1e9);
        // renewals run from the start: with a long grant phase the first leases need them early
        ka = new HttpKeepalives(api, o.clients, ids, grantedAt, o.renewEvery().toNanos(), log);
        ka.startPaced();
        api.grantAll(ids, grantedAt, o.ttl, o.grantConcurrency);
        ka.grantsDone = true;
      }
      progress.cancel(false);
      double grantS = (System.nanoTime() - t0) / 1e9;
      long granted = granted();
      ticker.shutdownNow();
      j.put("granted", granted);
      j.put("grant_s", Figures.round(grantS, 2));
      j.put("grants_per_sec", Figures.round(granted / grantS, 0));
      log.printf(
          "[lease] %d leases granted%s in %.1fs%n", granted, ws ? " on the sessions" : "", grantS);

      long heap1 = heap();
      long rss1 = server.rssBytes();
      log.printf(
          "[lease] after granting: heap %s, rss %s%n",
          Figures.mibText(heap1), Figures.mibText(rss1));
      hold(j, ka);

      long heap2 = heap();
      long rss2 = server.rssBytes();
      log.printf(
          "[lease] after the hold: heap %s, rss %s%n",
          Figures.mibText(heap2), Figures.mibText(rss2));
      j.put("heap_before_mb", Figures.mib(heap0));
      j.put("heap_granted_mb", Figures.mib(heap1));
      j.put("heap_held_mb", Figures.mib(heap2));
      j.put("heap_per_lease_granted_b", Figures.perItem(heap0, heap1, granted));
      j.put("heap_per_lease_held_b", Figures.perItem(heap0, heap2, granted));
      j.put("rss_before_mb", Figures.mib(rss0));
      j.put("rss_held_mb", Figures.mib(rss2));
      j.put("rss_per_lease_held_b", Figures.perItem(rss0, rss2, granted));

      // no lease expired
      long listed = api.list();
      LeaseSample sample = api.sample(ids, o.sample);
      j.put("listed_after_hold", listed);
      sample.describe(j);
      boolean ok = listed == granted && sample.missing() == 0 && granted == o.leases;
      if (ka != null) {
        ok &= ka.notFound.sum() == 0;
        j.put("keepalive_not_found", ka.notFound.sum());
      } else {
        ok &= sessions.expired.sum() == 0;
      }
      j.put("expired", listed >= 0 ? granted - listed : null);
      if (ka != null && !o.maxPhase.isZero()) {
        ceiling(j, ka);
      }
      return ok;
    } finally {
      ticker.shutdownNow();
      if (ka != null) {
        ka.stop();
      }
      if (sessions != null) {
        sessions.close();
      }
    }
  }

  /**
   * Grants on the sessions, or over HTTP attaching each lease to a session as soon as it exists.
   */
  private void grantOnSessions() throws InterruptedException {
    if (o.grant == LeaseKeepalive.Grant.WS) {
      sessions.grantAll(ids, o.ttl);
      return;
    }
    // attach each lease as soon as its grant is answered, so none waits a TTL for its session
    LeaseSessions now = sessions;
    Thread attacher = new Thread(() -> now.attachAll(ids), "attacher");
    attacher.start();
    api.grantAll(ids, grantedAt, o.ttl, o.grantConcurrency);
    sessions.grantsDone = true;
    attacher.join();
  }

  /** Logs the grants (and attachments) every 5 s. */
  private ScheduledFuture<?> reportProgress(ScheduledExecutorService ticker, long t0) {
    boolean wsGrants = o.mode == LeaseKeepalive.Mode.WS && o.grant == LeaseKeepalive.Grant.WS;
    boolean attaching = o.mode == LeaseKeepalive.Mode.WS && o.grant == LeaseKeepalive.Grant.HTTP;
    long[] lastCount = {0};
    return ticker.scheduleAtFixedRate(
        () -> {
          LeaseSessions s = sessions;
          long g = s != null && wsGrants ? s.grantedSoFar.sum() : granted();
          long attached = s == null ? 0 : s.attached();
          long n = g + (attaching ? attached : 0);
          log.printf(
              "[lease] t=%.0fs: %d granted%s (%d/s over the last 5 s)%n",
              (System.nanoTime() - t0) / 1e9,
              g,
              attaching ? ", " + attached + " attached" : "",
              (n - lastCount[0]) / 5);
          lastCount[0] = n;
        },
        5,
        5,
        TimeUnit.SECONDS);
  }

  /** Holds the leases for --hold: CPU of both processes, keepalive figures. */
  private void hold(Map<String, Object> j, HttpKeepalives ka) throws InterruptedException {
    CpuWindow cpu = CpuWindow.start(server);
    if (ka != null) {
      ka.resetWindow();
    }
    TimeUnit.NANOSECONDS.sleep(o.hold.toNanos());
    cpu.stop();
    j.put("server_cpu_cores_hold", cpu.serverCores());
    j.put("client_cpu_cores_hold", cpu.clientCores());
    if (ka != null) {
      HttpKeepalives.Window w = ka.window(cpu.seconds());
      j.put("keepalives_per_sec", Figures.round(w.rate(), 1));
      j.put(
          "keepalives_needed_per_sec",
          Figures.round(o.leases / (o.renewEvery().toNanos() / 1e9), 1));
      j.put("keepalive_p50_ms", Figures.ms(w.latency(), 50));
      j.put("keepalive_p99_ms", Figures.ms(w.latency(), 99));
      j.put("keepalive_p999_ms", Figures.ms(w.latency(), 99.9));
      j.put("keepalive_max_ms", Figures.ms(w.latency(), 100));
      j.put("keepalive_errors", ka.errors.sum());
      j.put("schedule_lag_max_s", Figures.round(ka.maxLagNanos.get() / 1e9, 3));
      j.put("renewal_gap_max_s", Figures.round(ka.maxGapNanos.get() / 1e9, 3));
    } else {
      j.put("session_expired_msgs", sessions.expired.sum());
      j.put("session_errors", sessions.errors.sum());
      j.put("heartbeats_answered", sessions.heartbeats.sum());
    }
  }

  /** http: the same clients closed loop for --max-phase, to find the ceiling. */
  private void ceiling(Map<String, Object> j, HttpKeepalives ka) throws InterruptedException {
    ka.stop();
    ka.awaitIdle();
    ka.resetWindow();
    CpuWindow cpu = CpuWindow.start(server);
    ka.startClosedLoop();
    TimeUnit.NANOSECONDS.sleep(o.maxPhase.toNanos());
    cpu.stop();
    HttpKeepalives.Window w = ka.window(cpu.seconds());
    j.put("max_phase_s", Figures.round(cpu.seconds(), 1));
    j.put("max_keepalives_per_sec", Figures.round(w.rate(), 1));
    j.put("max_keepalive_p50_ms", Figures.ms(w.latency(), 50));
    j.put("max_keepalive_p99_ms", Figures.ms(w.latency(), 99));
    j.put("max_server_cpu_cores", cpu.serverCores());
    j.put(
        "server_cpu_us_per_keepalive",
        Figures.round(cpu.serverCpuSeconds() * 1e6 / Math.max(1, w.count()), 1));
  }

  private long granted() {
    long n = 0;
    for (int i = 0; i < ids.length(); i++) {
      n += ids.get(i) > 0 ? 1 : 0;
    }
    return n;
  }

  private long heap() {
    return o.gc ? server.heapAfterGc(http) : ServerProbe.heapUsedBytes(http);
  }
}
