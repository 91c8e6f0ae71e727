package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.CpuWindow;
import dev.cairn.bench.report.Figures;
import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The etcd mode: grant, hold with batched keepalives (see {@link EtcdRenewers} and {@link
 * EtcdLeaseApi}), check. etcd is a Go process, so memory is its RSS only. Adds its figures to the
 * result line.
 */
final class EtcdLeaseRun {
  private final LeaseKeepalive o;
  private final HttpTransport http;
  private final ServerProbe server;
  private final PrintStream log;

  EtcdLeaseRun(LeaseKeepalive o, HttpTransport http, ServerProbe server, PrintStream log) {
    this.o = o;
    this.http = http;
    this.server = server;
    this.log = log;
  }

  /** Runs; true when no lease expired. */
  boolean run(Map<String, Object> j) throws Exception {
    String api = o.etcdApi.resolve(http);
    Duration renew = o.renewEvery();
    EtcdLeaseApi leaseApi = new EtcdLeaseApi(http, api, log);
    EtcdRenewers etcd =
        new EtcdRenewers(
            leaseApi, o.leases, o.ttl, o.clients, o.batch, o.grantConcurrency, renew, log);
    j.put("etcd_api", api);
    j.put("clients", o.clients);
    j.put("batch", o.batch);
    j.put("renew_every_s", renew.toNanos() / 1e9);
    long rss0 = server.rssBytes();
    log.printf("[lease] before: rss %s%n", Figures.mibText(rss0));
    try {
      double grantS = etcd.grant();
      long granted = etcd.granted();
      j.put("granted", granted);
      j.put("grant_s", Figures.round(grantS, 2));
      j.put("grants_per_sec", Figures.round(granted / grantS, 0));
      long rss1 = server.rssBytes();
      log.printf(
          "[lease] %d etcd leases granted in %.1fs; rss %s%n",
          granted, grantS, Figures.mibText(rss1));

      long renewed0 = etcd.renewed.sum();
      long requests0 = etcd.requests.sum();
      etcd.latencySinceLast();
      CpuWindow cpu = CpuWindow.start(server);
      TimeUnit.NANOSECONDS.sleep(o.hold.toNanos());
      cpu.stop();
      long renewedHold = etcd.renewed.sum() - renewed0;
      j.put("server_cpu_cores_hold", cpu.serverCores());
      j.put("client_cpu_cores_hold", cpu.clientCores());
      etcd.describeWindow(j, cpu.seconds(), renewedHold, etcd.requests.sum() - requests0);
      j.put(
          "server_cpu_us_per_keepalive",
          renewedHold == 0 ? null : Figures.round(cpu.serverCpuSeconds() * 1e6 / renewedHold, 1));

      long rss2 = server.rssBytes();
      log.printf("[lease] after the hold: rss %s%n", Figures.mibText(rss2));
      j.put("heap_per_lease_held_b", null); // a Go process: RSS only
      j.put("rss_before_mb", Figures.mib(rss0));
      j.put("rss_granted_mb", Figures.mib(rss1));
      j.put("rss_held_mb", Figures.mib(rss2));
      j.put("rss_per_lease_granted_b", Figures.perItem(rss0, rss1, granted));
      j.put("rss_per_lease_held_b", Figures.perItem(rss0, rss2, granted));

      // checked while the renewers still run, as in the other modes
      long listed = leaseApi.list();
      LeaseSample sample = leaseApi.sample(etcd.ids, o.sample);
      j.put("listed_after_hold", listed);
      sample.describe(j);
      j.put("keepalive_not_found", etcd.notFound.sum());
      j.put("expired", listed >= 0 ? granted - listed : null);
      return listed == granted
          && sample.missing() == 0
          && granted == o.leases
          && etcd.notFound.sum() == 0;
    } finally {
      etcd.stop();
    }
  }
}
