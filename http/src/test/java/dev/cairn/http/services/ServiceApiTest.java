package dev.cairn.http.services;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.SseClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code /v1/services} over real HTTP against a real node of its own (its health checker holds a
 * lease in the namespaces it checks), with real HTTP endpoints for the HTTP checks.
 */
@Timeout(180)
class ServiceApiTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static final String NS = "svc-test";
  private static final String P = "/v1/ns/" + NS;

  @BeforeAll
  static void setUp() {
    node.createNamespace(NS);
  }

  /** A real HTTP endpoint answering {@code status} on /health, counting the probes it gets. */
  private static final class Endpoint implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();
    volatile int status = 200;

    Endpoint() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/health",
          ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(status, -1);
            ex.close();
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/health";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static JsonNode instance(String prefix, String svc, String id) {
    TestServer.Resp r = node.get(prefix + "/services/" + svc + "/instances/" + id);
    return r.status() == 404 ? null : r.ok();
  }

  private static String status(String prefix, String svc, String id) {
    JsonNode i = instance(prefix, svc, id);
    return i == null ? "gone" : i.path("status").asText();
  }

  private static long checkVersion(String ns, String svc, String id) {
    return node.get(TestServer.prefix(ns) + "/kv/_cairn/services/" + svc + "/" + id + "/check/0")
        .ok()
        .path("version")
        .asLong();
  }

  /**
   * The Java client and the command line run the registry's code on their side and send its
   * transaction to {@code /v1/txn}: such a registration with checks starts the namespace's checker
   * as one through {@code /v1/services} does, so its HTTP check is probed.
   */
  @Test
  void aRegistrationWrittenAsATransactionStartsItsNamespacesChecker() throws Exception {
    String from = "svc-txn-from";
    String to = "svc-txn-to";
    node.createNamespace(from);
    node.createNamespace(to);
    try (Endpoint ep = new Endpoint()) {
      node.put(
              TestServer.prefix(from) + "/services/web/instances/w1",
              "{\"address\":\"10.0.0.1\",\"port\":8080,\"checks\":[{\"http\":\""
                  + ep.url()
                  + "\",\"interval\":\"500ms\"}]}")
          .ok();
      // The registry's keys as it wrote them, written again into the other namespace in one
      // transaction, as the client sends them.
      JsonNode kvs =
          node.get(TestServer.prefix(from) + "/kv/_cairn/services/web/?prefix=true")
              .ok()
              .path("kvs");
      ArrayNode success = TestServer.JSON.createArrayNode();
      for (JsonNode kv : kvs) {
        success
            .addObject()
            .putObject("put")
            .put("key", kv.path("key").asText())
            .put("value", kv.path("value").asText())
            .put("encoding", kv.path("encoding").asText());
      }
      assertThat(success).hasSizeGreaterThanOrEqualTo(2); // the instance and its check's state
      ObjectNode txn = TestServer.JSON.createObjectNode();
      txn.putArray("compare");
      txn.set("success", success);
      assertThat(node.post(TestServer.prefix(to) + "/txn", txn.toString()).ok().path("succeeded"))
          .isEqualTo(BooleanNode.TRUE);
      String p = TestServer.prefix(to);
      TestServer.await(
          Duration.ofSeconds(30),
          "the check probed and passing",
          () -> status(p, "web", "w1").equals("passing"));
    }
  }

  @Test
  void anHttpCheckThatStopsAnsweringIsCriticalWithinIntervalPlusTimeoutAndGoneAfterDeregisterAfter()
      throws Exception {
    Endpoint ep = new Endpoint();
    try {
      node.put(
              P + "/services/web/instances/web-1",
              "{\"address\":\"10.0.0.1\",\"port\":8080,\"checks\":[{\"http\":\""
                  + ep.url()
                  + "\",\"interval\":\"500ms\",\"timeout\":\"300ms\"}],"
                  + "\"deregister_after\":\"3s\"}")
          .ok();
      TestServer.await(
          Duration.ofSeconds(30),
          "the check passing",
          () -> status(P, "web", "web-1").equals("passing"));
      // Probes that keep their result write nothing: the check's state keeps its version.
      long version = checkVersion(NS, "web", "web-1");
      int hits = ep.hits.get();
      TestServer.await(
          Duration.ofSeconds(30), "three more probes", () -> ep.hits.get() >= hits + 3);
      assertThat(checkVersion(NS, "web", "web-1")).isEqualTo(version);

      ep.close();
      long stopped = System.nanoTime();
      TestServer.await(
          Duration.ofSeconds(30),
          "the check critical",
          () -> status(P, "web", "web-1").equals("critical"));
      long toCritical = TestServer.millisSince(stopped);
      JsonNode critical = instance(P, "web", "web-1");
      System.out.printf(
          "endpoint stopped -> critical in %d ms (interval 500 + timeout 300)%n", toCritical);
      // interval + timeout, plus the write and this test's polling on a loaded machine.
      assertThat(toCritical).isLessThan(500 + 300 + 2500);
      assertThat(critical.path("checks").get(0).path("output").asText()).isNotEmpty();
      Instant since = Instant.parse(critical.path("checks").get(0).path("since").asText());

      TestServer.await(
          Duration.ofSeconds(30),
          "the instance removed",
          () -> instance(P, "web", "web-1") == null);
      long criticalFor = Duration.between(since, Instant.now()).toMillis();
      System.out.printf("critical -> removed after %d ms (deregister_after 3000)%n", criticalFor);
      assertThat(criticalFor).isGreaterThanOrEqualTo(3000);
      assertThat(node.get(P + "/services/web").ok().path("instances").size()).isZero();
      String metrics = node.get("/metrics").text();
      double probes = metric(metrics, "cairn_services_probes_total");
      double writes = metric(metrics, "cairn_services_status_writes_total");
      System.out.printf(
          "probes %.0f, status writes %.0f, removals %.0f%n",
          probes, writes, metric(metrics, "cairn_services_removals_total"));
      assertThat(metric(metrics, "cairn_services_checkers_active")).isGreaterThanOrEqualTo(1);
      assertThat(metric(metrics, "cairn_services_removals_total")).isGreaterThanOrEqualTo(1);
      assertThat(writes).isGreaterThanOrEqualTo(2).isLessThan(probes);
      assertThat(
              node.get(P + "/kv/_cairn/services/web/?prefix=true&count_only=true")
                  .ok()
                  .path("count")
                  .asLong())
          .isZero();
    } finally {
      ep.close();
    }
  }

  @Test
  void aTtlCheckPassesWhileReportsArriveAndGoesCriticalWhenItsTtlPasses() {
    node.put(
            P + "/services/batch/instances/b-1",
            "{\"address\":\"10.0.0.2\",\"port\":9000,\"checks\":[{\"ttl\":\"2s\"}]}")
        .ok();
    assertThat(status(P, "batch", "b-1")).isEqualTo("critical"); // until its first report
    String health = P + "/services/batch/instances/b-1/health";
    node.put(health, "{\"status\":\"passing\",\"output\":\"ok\"}").ok();
    assertThat(status(P, "batch", "b-1")).isEqualTo("passing");
    long version = checkVersion(NS, "batch", "b-1");
    // A report that changes nothing renews the TTL and writes nothing.
    node.put(health, "{\"status\":\"passing\",\"output\":\"ok\"}").ok();
    long lastReport = System.nanoTime();
    assertThat(checkVersion(NS, "batch", "b-1")).isEqualTo(version);
    assertThat(status(P, "batch", "b-1")).isEqualTo("passing");

    TestServer.await(
        Duration.ofSeconds(30),
        "the check critical",
        () -> status(P, "batch", "b-1").equals("critical"));
    long after = TestServer.millisSince(lastReport);
    System.out.printf("last report -> critical in %d ms (ttl 2000)%n", after);
    assertThat(after).isBetween(1500L, 2000L + 4000);
    JsonNode check = instance(P, "batch", "b-1").path("checks").get(0);
    assertThat(check.path("output").asText()).contains("TTL");

    node.put(health, "{\"status\":\"warning\"}").ok();
    assertThat(status(P, "batch", "b-1")).isEqualTo("warning");
    node.put(health, "{\"status\":\"passing\"}").ok();
    assertThat(status(P, "batch", "b-1")).isEqualTo("passing");
  }

  @Test
  void healthyAndTagFiltersSelectInstances() {
    String p = "/v1"; // the default namespace
    node.put(
            p + "/services/api/instances/a",
            "{\"address\":\"10.0.1.1\",\"port\":80,\"tags\":[\"v1\",\"primary\"],"
                + "\"meta\":{\"zone\":\"eu\"},\"checks\":[{\"ttl\":30}]}")
        .ok();
    node.put(
            p + "/services/api/instances/b",
            "{\"address\":\"10.0.1.2\",\"port\":80,\"tags\":[\"v1\"],\"checks\":[{\"ttl\":\"30s\"}]}")
        .ok();
    node.put(
            p + "/services/api/instances/c",
            "{\"address\":\"10.0.1.3\",\"port\":81,\"tags\":[\"v2\"]}")
        .ok();
    node.put(p + "/services/api/instances/a/health", "{\"status\":\"passing\"}").ok();

    assertThat(ids(p + "/services/api")).containsExactly("a", "b", "c");
    assertThat(ids(p + "/services/api?healthy=true")).containsExactly("a", "c");
    assertThat(ids(p + "/services/api?tag=v1")).containsExactly("a", "b");
    assertThat(ids(p + "/services/api?tag=v1&healthy=true")).containsExactly("a");
    assertThat(ids(p + "/services/api?tag=v1&tag=primary")).containsExactly("a");
    assertThat(ids(p + "/services/api?tag=v3")).isEmpty();
    JsonNode a = node.get(p + "/services/api?tag=primary").ok().path("instances").get(0);
    assertThat(a.path("address").asText()).isEqualTo("10.0.1.1");
    assertThat(a.path("port").asInt()).isEqualTo(80);
    assertThat(a.path("meta").path("zone").asText()).isEqualTo("eu");
    assertThat(a.path("checks").get(0).path("ttl").asText()).isEqualTo("30s");
    assertThat(node.get(p + "/services").ok().path("services").toString()).contains("\"api\"");

    node.delete(p + "/services/api/instances/b").ok();
    node.delete(p + "/services/api/instances/b").problem(404, "instance_not_found");
    assertThat(ids(p + "/services/api")).containsExactly("a", "c");
  }

  private static List<String> ids(String path) {
    List<String> out = new ArrayList<>();
    node.get(path).ok().path("instances").forEach(i -> out.add(i.path("id").asText()));
    return out;
  }

  @Test
  void mistakesAreProblemsWithStableCodes() {
    String i = P + "/services/bad/instances/x";
    node.put(i, "{\"address\":\"h\",\"port\":1,\"checks\":[{\"ttl\":\"10 parsecs\"}]}")
        .problem(400, "invalid_duration");
    node.put(i, "{\"address\":\"h\",\"port\":1,\"checks\":[{\"ttl\":-1}]}")
        .problem(400, "invalid_duration");
    node.put(i, "{\"address\":\"h\",\"port\":1,\"deregister_after\":\"1y\"}")
        .problem(400, "invalid_duration");
    node.put(i, "{\"address\":\"h\",\"port\":1,\"checks\":[{\"http\":\"http://h/x\"}]}")
        .problem(400, "invalid_duration");
    node.put(
            i,
            "{\"address\":\"h\",\"port\":1,\"checks\":[{\"http\":\"ftp://h/x\",\"interval\":\"1s\"}]}")
        .problem(400, "invalid_argument");
    node.put(i, "{\"address\":\"h\",\"port\":1,\"checks\":[{}]}").problem(400, "invalid_argument");
    node.put(i, "{\"port\":1}").problem(400, "invalid_argument");
    node.put(i, "{\"address\":\"h\",\"port\":1,\"lease\":987654321}")
        .problem(404, "lease_not_found");
    node.put(P + "/services/b%2Fad/instances/x", "{\"address\":\"h\",\"port\":1}")
        .problem(400, "invalid_argument");
    node.put(P + "/services/bad/instances/nobody/health", "{\"status\":\"passing\"}")
        .problem(404, "instance_not_found");
    node.delete(P + "/services/bad/instances/nobody").problem(404, "instance_not_found");
    node.get(P + "/services/bad/instances/nobody").problem(404, "instance_not_found");
    node.put(i, "{\"address\":\"h\",\"port\":1}").ok();
    node.put(i + "/health", "{\"status\":\"fine\"}").problem(400, "invalid_argument");
    node.put(i + "/health", "{\"status\":\"passing\"}").problem(400, "invalid_argument"); // no TTL
    assertThat(node.get(P + "/services/bad").ok().path("instances").size()).isEqualTo(1);
  }

  @Test
  void anInstanceBoundToALeaseGoesWithIt() {
    long lease = node.post(P + "/leases", "{\"ttl\": 30}").ok().path("id").asLong();
    node.put(
            P + "/services/leased/instances/l-1",
            "{\"address\":\"h\",\"port\":1,\"lease\":" + lease + "}")
        .ok();
    assertThat(status(P, "leased", "l-1")).isEqualTo("passing");
    node.delete(P + "/leases/" + lease).ok();
    assertThat(instance(P, "leased", "l-1")).isNull();
  }

  @Test
  void theEventStreamShowsRegistrationsAndStatusChangesInOrder() {
    String svc = P + "/services/stream";
    try (SseClient sse = SseClient.open(node, svc + "/events")) {
      assertThat(sse.status()).isEqualTo(200);
      sse.expect("the snapshot", Duration.ofSeconds(20), e -> e.event().equals("snapshot"));
      node.put(
              svc + "/instances/s-1",
              "{\"address\":\"h\",\"port\":1,\"checks\":[{\"ttl\":\"30s\"}]}")
          .ok();
      node.put(svc + "/instances/s-1/health", "{\"status\":\"passing\"}").ok();
      node.put(svc + "/instances/s-1/health", "{\"status\":\"passing\"}").ok(); // no change
      node.put(svc + "/instances/s-1/health", "{\"status\":\"warning\"}").ok();
      node.put(svc + "/instances/s-2", "{\"address\":\"h2\",\"port\":2}").ok();
      node.delete(svc + "/instances/s-1").ok();
      sse.expect(
          "the deregistration", Duration.ofSeconds(20), e -> e.event().equals("deregistered"));
      List<String> seen = new ArrayList<>();
      long last = 0;
      for (SseClient.Event e : sse.events()) {
        JsonNode d = json(e.data());
        long rev = d.path("revision").asLong();
        assertThat(rev).as("revisions increase: %s", e).isGreaterThan(last);
        assertThat(e.id()).isEqualTo(Long.toString(rev));
        last = rev;
        seen.add(
            e.event()
                + (d.has("id") ? " " + d.path("id").asText() : "")
                + (d.has("check_status") ? " " + d.path("check_status").asText() : ""));
      }
      assertThat(seen)
          .containsExactly(
              "snapshot",
              "registered s-1",
              "status s-1 passing",
              "status s-1 warning",
              "registered s-2",
              "deregistered s-1");
    }
  }

  @Test
  void registrationsAndChecksSurviveARestart() throws Exception {
    String ns = "svc-restart";
    node.createNamespace(ns);
    String p = "/v1/ns/" + ns;
    node.put(
            p + "/services/db/instances/d-1",
            "{\"address\":\"h\",\"port\":5432,\"checks\":[{\"ttl\":\"3s\"}]}")
        .ok();
    node.put(p + "/services/db/instances/d-1/health", "{\"status\":\"passing\"}").ok();
    node.restart();
    assertThat(status(p, "db", "d-1")).isEqualTo("passing");
    // The restarted node's checker takes the namespace up again: the TTL still passes.
    TestServer.await(
        Duration.ofSeconds(40),
        "the check critical",
        () -> status(p, "db", "d-1").equals("critical"));
  }

  /** The value of an unlabelled metric in Prometheus text. */
  private static double metric(String text, String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }

  private static JsonNode json(String s) {
    try {
      return TestServer.JSON.readTree(s);
    } catch (IOException e) {
      throw new AssertionError(s, e);
    }
  }
}
