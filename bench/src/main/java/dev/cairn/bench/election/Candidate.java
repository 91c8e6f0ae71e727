package dev.cairn.bench.election;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.retry.RetryOneTime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One candidate process of {@link ElectionFailoverBenchmark}: takes a lease (Cairn, etcd: renewed
 * at a third of its TTL, as etcd's own client does) or a ZooKeeper session of the same length,
 * campaigns, and prints to standard output {@code campaigning} just before its campaign and {@code
 * elected <System.nanoTime()>} once it leads (the kernel's monotonic clock, the same in every
 * process of the machine, so the parent compares it with the time of its kill). Then it leads until
 * it is killed.
 *
 * <ul>
 *   <li>Cairn: {@code POST /v1/leases {"ttl"}}, {@code POST /v1/elections/{name} {"value",
 *       "lease"}} (again after a {@code campaign_timeout});
 *   <li>etcd: {@code POST /v3/lease/grant {"TTL"}}, {@code POST /v3/election/campaign {"name",
 *       "lease", "value"}} (answers once elected);
 *   <li>ZooKeeper: Curator's {@code LeaderLatch} on {@code /bench-elections/<name>}, the session
 *       timeout being the TTL.
 * </ul>
 */
@Command(name = "election-candidate", mixinStandardHelpOptions = true)
public final class Candidate implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";

  @Option(names = "--target", required = true)
  ElectionFailoverBenchmark.Target target;

  @Option(names = "--url")
  URI url;

  @Option(names = "--etcd-api", defaultValue = "/v3")
  String api;

  @Option(names = "--zk-connect", defaultValue = "127.0.0.1:2181")
  String zkConnect;

  @Option(names = "--ttl", defaultValue = "5")
  int ttl;

  @Option(names = "--election", required = true)
  String election;

  @Option(names = "--label", required = true)
  String label;

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new Candidate()), args);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    switch (target) {
      case CAIRN, ETCD -> overHttp();
      case ZOOKEEPER -> withCurator();
    }
    return 0;
  }

  private void overHttp() throws Exception {
    boolean etcd = target == ElectionFailoverBenchmark.Target.ETCD;
    HttpTransport transport = new HttpTransport(url, 1);
    HttpAnswer g =
        transport.exchange(
            etcd
                ? HttpCall.post(api + "/lease/grant", "{\"TTL\":" + ttl + "}", JSON_TYPE)
                : HttpCall.post("/v1/leases", "{\"ttl\":" + ttl + "}", JSON_TYPE),
            Duration.ofSeconds(30));
    if (!g.ok()) {
      throw new IOException("lease grant: " + g.describe());
    }
    String lease = JSON.readTree(g.body()).path(etcd ? "ID" : "id").asText();
    ScheduledExecutorService keepalive = Cli.daemonScheduler("lease-keepalive");
    HttpCall renew =
        etcd
            ? HttpCall.post(api + "/lease/keepalive", "{\"ID\":" + lease + "}", JSON_TYPE)
            : HttpCall.post("/v1/leases/" + lease + "/keepalive", "", JSON_TYPE);
    keepalive.scheduleWithFixedDelay(
        () -> transport.request(renew, Duration.ofSeconds(ttl)),
        ttl * 333L,
        ttl * 333L,
        TimeUnit.MILLISECONDS);
    HttpCall campaign =
        etcd
            ? HttpCall.post(
                api + "/election/campaign",
                "{\"name\":\""
                    + b64(election)
                    + "\",\"lease\":"
                    + lease
                    + ",\"value\":\""
                    + b64(label)
                    + "\"}",
                JSON_TYPE)
            : HttpCall.post(
                "/v1/elections/" + election,
                "{\"value\":\"" + label + "\",\"lease\":" + lease + ",\"timeout_ms\":25000}",
                JSON_TYPE);
    say("campaigning");
    while (true) {
      HttpAnswer a = transport.exchange(campaign, Duration.ofMinutes(10));
      if (a.ok()) {
        say("elected " + System.nanoTime());
        break;
      }
      if (a.status() != 408) { // 408: campaign_timeout, the server's longest wait; again
        throw new IOException("campaign: " + a.describe());
      }
    }
    while (true) {
      LockSupport.park(); // lead until killed
    }
  }

  private void withCurator() throws Exception {
    System.setProperty("zookeeper.sasl.client", "false");
    CuratorFramework client =
        CuratorFrameworkFactory.builder()
            .connectString(zkConnect)
            .sessionTimeoutMs(ttl * 1000)
            .connectionTimeoutMs(15_000)
            .retryPolicy(new RetryOneTime(100))
            .build();
    client.start();
    if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
      throw new IOException("no ZooKeeper session to " + zkConnect + " within 30 s");
    }
    LeaderLatch latch = new LeaderLatch(client, "/bench-elections/" + election, label);
    say("campaigning");
    latch.start();
    latch.await();
    say("elected " + System.nanoTime());
    while (true) {
      LockSupport.park(); // lead until killed
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
