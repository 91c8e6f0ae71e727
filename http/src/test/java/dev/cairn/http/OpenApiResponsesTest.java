package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The server's real answers against {@code openapi.yaml}'s schemas, route by route and status by
 * status, so that the document and the server cannot drift apart: each exchange below is judged by
 * {@link OpenApiDocument#check} (documented status, media type, body valid by the schema, typed
 * headers; an accepted request valid by the document), and at the end every status the document
 * lists for every operation must have been seen at least once, but for the few listed in {@link
 * #UNREACHABLE} with the reason. The document's examples are validated against their schemas, and
 * the request examples are sent to the server, whose answers are judged the same way.
 *
 * <p>The node is this class's own, with small limits so that every 413 is cheap, and at most two
 * watch connections so that the watch routes' 503 is reachable.
 */
class OpenApiResponsesTest {
  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(
          Map.of(
              "cairn.limits.max-key-size", "256B",
              "cairn.limits.max-value-size", "1KiB",
              "cairn.limits.max-txn-ops", 8,
              "cairn.http.max-body-size", "4KiB",
              "cairn.watch.max-connections", 2));

  /** Documented answers no exchange here can produce, and why. Keys: "METHOD template status". */
  private static final Map<String, String> UNREACHABLE =
      Map.ofEntries(
          Map.entry("GET /ready 503", "needs a node whose default namespace does not answer"),
          // The default namespace always exists: these 404s are namespace_not_found only, seen on
          // the /v1/ns/{ns}/ twins.
          Map.entry("DELETE /v1/kv/{key} 404", "default namespace always exists"),
          Map.entry("POST /v1/compact 404", "default namespace always exists"),
          Map.entry("GET /v1/leases 404", "default namespace always exists"),
          Map.entry("POST /v1/leases 404", "default namespace always exists"));

  private static final OpenApiDocument DOC = OpenApiDocument.load();
  private static final String PAD = "%020d";

  private final List<String> violations = new ArrayList<>();
  private final Set<String> seen = new TreeSet<>();
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void everyRouteAnswersEveryDocumentedStatusAsTheDocumentSays() throws Exception {
    ops();
    namespaces();
    node.createNamespace("oas");
    keyspace("/v1", "default");
    keyspace("/v1/ns/oas", "oas");
    missingNamespace("/v1/ns/oas-missing");
    locks("/v1");
    locks("/v1/ns/oas");
    services("/v1");
    services("/v1/ns/oas");
    rwlocks("/v1");
    rwlocks("/v1/ns/oas");
    semaphores("/v1");
    semaphores("/v1/ns/oas");
    counters("/v1");
    counters("/v1/ns/oas");
    queues("/v1");
    queues("/v1/ns/oas");
    barriers("/v1");
    barriers("/v1/ns/oas");
    elections("/v1");
    elections("/v1/ns/oas");
    watches("/v1");
    watches("/v1/ns/oas");
    assertThat(violations).as("answers that break openapi.yaml").isEmpty();

    Set<String> documented = new TreeSet<>();
    for (OpenApiDocument.Operation op : DOC.operations()) {
      op.node()
          .path("responses")
          .fieldNames()
          .forEachRemaining(
              s -> {
                if (!s.equals("default")) {
                  documented.add(op + " " + s);
                }
              });
    }
    Set<String> missing = new TreeSet<>(documented);
    missing.removeAll(seen);
    missing.removeAll(UNREACHABLE.keySet());
    assertThat(missing).as("documented answers never produced here").isEmpty();
    assertThat(documented)
        .as("UNREACHABLE names documented answers")
        .containsAll(UNREACHABLE.keySet());
    Set<String> stale = new TreeSet<>(UNREACHABLE.keySet());
    stale.retainAll(seen);
    assertThat(stale).as("answers listed as unreachable that were produced").isEmpty();
  }

  @Test
  void everyExampleInTheDocumentValidatesAgainstItsSchema() {
    List<Example> examples = examples();
    assertThat(examples).as("the document has examples").hasSizeGreaterThan(10);
    List<String> bad = new ArrayList<>();
    for (Example e : examples) {
      DOC.validate(e.schema(), e.value(), e.label(), bad);
    }
    assertThat(bad).isEmpty();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void everyRequestBodyExampleGetsADocumentedAnswer() {
    node.createNamespace("oas-examples");
    node.putKv("oas-examples", "app/config", "v");
    int sent = 0;
    for (OpenApiDocument.Operation op : DOC.operations()) {
      JsonNode rb = DOC.resolve(op.node().path("requestBody"));
      JsonNode media = rb.path("content").path("application/json");
      if (media.isMissingNode() || !op.template().startsWith("/v1/ns/{ns}/")) {
        continue;
      }
      List<JsonNode> bodies = new ArrayList<>();
      if (media.has("example")) {
        bodies.add(media.get("example"));
      }
      media.path("examples").forEach(e -> bodies.add(e.path("value")));
      JsonNode schema = DOC.resolve(media.path("schema"));
      if (schema.has("example")) {
        bodies.add(schema.get("example"));
      }
      for (JsonNode body : bodies) {
        String path = op.template().replace("{ns}", "oas-examples").replace("{name}", "example");
        TestServer.Resp r =
            exchange(
                op.method().toUpperCase(), path, body.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as("the example works: %s", r).isBetween(200, 299);
        sent++;
      }
    }
    assertThat(sent).as("request examples sent").isGreaterThanOrEqualTo(3);
    assertThat(violations).isEmpty();
  }

  // ------------------------------------------------------------------ exchanges

  private void ops() {
    expect(200, "GET", "/health");
    expect(200, "GET", "/ready");
    expect(200, "GET", "/metrics");
    expect(200, "GET", "/v1/openapi.yaml");
    expect(200, "GET", "/v1/cluster");
  }

  private void namespaces() {
    expect(200, "GET", "/v1/namespaces");
    exchange("GET", "/v1/namespaces/", null);
    expect(201, "PUT", "/v1/namespaces/oas-made");
    expect(200, "PUT", "/v1/namespaces/oas-made");
    expect(400, "PUT", "/v1/namespaces/Bad_Name");
    expect(200, "GET", "/v1/namespaces/oas-made");
    expect(400, "GET", "/v1/namespaces/Bad_Name");
    expect(404, "GET", "/v1/namespaces/oas-missing");
    node.putKv("oas-made", "k", "v");
    expect(409, "DELETE", "/v1/namespaces/oas-made");
    expect(409, "DELETE", "/v1/namespaces/default");
    expect(200, "DELETE", "/v1/namespaces/oas-made?force=true");
    expect(404, "DELETE", "/v1/namespaces/oas-made");
    expect(400, "DELETE", "/v1/namespaces/Bad_Name");
  }

  private void keyspace(String p, String ns) {
    // Writes.
    expect(200, "PUT", p + "/kv/oas/a", "v1");
    expect(200, "PUT", p + "/kv/oas/a?prev_kv=true", "v2");
    exchange("PUT", p + "/kv/oas/bin", new byte[] {(byte) 0xff, 0, 1});
    expect(400, "PUT", p + "/kv/oas/a?lease=abc", "v");
    expect(404, "PUT", p + "/kv/oas/a?lease=987654321", "v");
    expect(412, "PUT", p + "/kv/oas/a", "v", "If-Match", "\"999999\"");
    expect(412, "PUT", p + "/kv/oas/a", "v", "If-None-Match", "*");
    expect(413, "PUT", p + "/kv/oas/a", "v".repeat(2048));
    expect(413, "PUT", p + "/kv/oas/a", "v".repeat(8192));
    expect(413, "PUT", p + "/kv/" + "k".repeat(300), "v");
    // Reads.
    expect(200, "GET", p + "/kv/oas/a");
    expect(200, "GET", p + "/kv/oas/bin");
    expect(200, "GET", p + "/kv/oas/a?count_only=true");
    expect(200, "GET", p + "/kv/oas/a?keys_only=true");
    expect(200, "GET", p + "/kv/oas/?prefix=true");
    expect(200, "GET", p + "/kv/oas/?prefix=true&limit=1");
    expect(200, "GET", p + "/kv/oas/?prefix=true&keys_only=true");
    expect(200, "GET", p + "/kv/oas/?prefix=true&count_only=true");
    expect(200, "GET", p + "/kv/oas/a?range_end=%00");
    expect(200, "GET", p + "/kv/?prefix=true");
    expect(200, "GET", p + "/kv/oas/a?consistency=serializable");
    expect(200, "GET", p + "/kv/oas/a", null, "Accept", "application/octet-stream");
    expect(400, "GET", p + "/kv/oas/a?limit=abc");
    expect(400, "GET", p + "/kv/oas/a?revision=99999999");
    expect(404, "GET", p + "/kv/oas/missing");
    expect(406, "GET", p + "/kv/oas/?prefix=true", null, "Accept", "application/octet-stream");
    expect(413, "GET", p + "/kv/" + "k".repeat(300));
    // Sequential keys.
    expect(201, "POST", p + "/kv/oas/q/?sequential=true", "v");
    expect(400, "POST", p + "/kv/oas/q/?sequential=true&lease=abc", "v");
    expect(404, "POST", p + "/kv/oas/q/?sequential=true&lease=987654321", "v");
    expect(405, "POST", p + "/kv/oas/q/", "v");
    expect(413, "POST", p + "/kv/oas/q/?sequential=true", "v".repeat(2048));
    long r = revision(ns);
    // Taken by a plain put at r+1, then due to the sequential create at r+2.
    expect(200, "PUT", p + "/kv/oas/q/" + String.format(PAD, r + 2), "v");
    expect(409, "POST", p + "/kv/oas/q/?sequential=true", "v");
    // Deletes.
    expect(200, "PUT", p + "/kv/oas/d/1", "v");
    expect(200, "PUT", p + "/kv/oas/d/2", "v");
    expect(200, "PUT", p + "/kv/oas/d/3", "v");
    expect(200, "DELETE", p + "/kv/oas/d/1?prev_kv=true");
    expect(200, "DELETE", p + "/kv/oas/d/?prefix=true&prev_kv=true");
    expect(200, "DELETE", p + "/kv/oas/d/none");
    expect(400, "DELETE", p + "/kv/oas/d/?prefix=true", null, "If-Match", "\"1\"");
    expect(412, "DELETE", p + "/kv/oas/a", null, "If-Match", "\"999999\"");
    // Transactions.
    expect(200, "PUT", p + "/kv/oas/t/gone", "v");
    expect(
        200,
        "POST",
        p + "/txn",
        "{\"compare\": [{\"key\": \"oas/a\", \"target\": \"version\", \"op\": \">\", \"value\": 0}],"
            + " \"success\": [{\"put\": {\"key\": \"oas/t/1\", \"value\": \"v\", \"prev_kv\": true}},"
            + " {\"delete\": {\"key\": \"oas/t/gone\", \"prev_kv\": true}},"
            + " {\"delete\": {\"key\": \"oas/t/none\"}},"
            + " {\"range\": {\"key\": \"oas/t/\", \"prefix\": true}},"
            + " {\"range\": {\"key\": \"oas/t/\", \"prefix\": true, \"keys_only\": true}},"
            + " {\"range\": {\"key\": \"oas/t/\", \"prefix\": true, \"count_only\": true}}]}");
    expect(
        200,
        "POST",
        p + "/txn",
        "{\"compare\": [{\"key\": \"oas/a\", \"target\": \"value\", \"op\": \"=\", \"value\": \"x\"}],"
            + " \"failure\": [{\"delete\": {\"key\": \"oas/t/none\"}}]}");
    expect(400, "POST", p + "/txn", "{\"success\": [{}]}");
    expect(
        404,
        "POST",
        p + "/txn",
        "{\"success\": [{\"put\": {\"key\": \"oas/t/2\", \"value\": \"v\", \"lease\": 987654321}}]}");
    expect(
        413,
        "POST",
        p + "/txn",
        "{\"success\": ["
            + "{\"range\": {\"key\": \"a\"}},".repeat(8)
            + "{\"range\": {\"key\": \"a\"}}]}");
    // Compaction.
    long before = revision(ns);
    expect(200, "PUT", p + "/kv/oas/a", "v3");
    long now = revision(ns);
    expect(200, "POST", p + "/compact", "{\"revision\": " + now + "}");
    expect(400, "POST", p + "/compact", "{\"revision\": " + (now + 1000) + "}");
    expect(410, "POST", p + "/compact", "{\"revision\": " + before + "}");
    expect(410, "GET", p + "/kv/oas/a?revision=" + before);
    expect(
        410,
        "POST",
        p + "/txn",
        "{\"success\": [{\"range\": {\"key\": \"oas/a\", \"revision\": " + before + "}}]}");
    // Leases.
    expect(200, "GET", p + "/leases");
    JsonNode granted = expect(200, "POST", p + "/leases", "{\"ttl\": 60}");
    long id = granted.path("id").asLong();
    expect(200, "POST", p + "/leases", "{\"ttl\": 60, \"id\": 0}");
    expect(400, "POST", p + "/leases", "{\"ttl\": 0}");
    expect(409, "POST", p + "/leases", "{\"ttl\": 60, \"id\": " + id + "}");
    expect(200, "PUT", p + "/kv/oas/l?lease=" + id, "v");
    expect(200, "GET", p + "/leases");
    expect(200, "GET", p + "/leases/" + id);
    expect(400, "GET", p + "/leases/abc");
    expect(404, "GET", p + "/leases/987654321");
    exchange("GET", p + "/leases/", null);
    for (String m : List.of("POST", "PUT")) {
      expect(200, m, p + "/leases/" + id + "/keepalive");
      expect(400, m, p + "/leases/0/keepalive");
      expect(404, m, p + "/leases/987654321/keepalive");
    }
    expect(200, "DELETE", p + "/leases/" + id);
    expect(400, "DELETE", p + "/leases/-1");
    expect(404, "DELETE", p + "/leases/" + id);
    // Paths that are no resource.
    exchange("POST", p + "/txn/", "{}".getBytes(StandardCharsets.UTF_8));
    exchange("POST", p + "/compact/", "{\"revision\": 1}".getBytes(StandardCharsets.UTF_8));
    exchange("GET", p + "/leases/" + id + "/keepalive/", null);
  }

  private void missingNamespace(String p) {
    expect(404, "GET", p + "/kv/k");
    expect(404, "PUT", p + "/kv/k", "v");
    expect(404, "DELETE", p + "/kv/k");
    expect(404, "POST", p + "/kv/k?sequential=true", "v");
    expect(
        404, "POST", p + "/txn", "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\"}}]}");
    expect(404, "POST", p + "/compact", "{\"revision\": 1}");
    expect(404, "GET", p + "/leases");
    expect(404, "POST", p + "/leases", "{\"ttl\": 60}");
    expect(404, "GET", p + "/locks/l");
    expect(404, "POST", p + "/locks/l", "{\"ttl\": 60}");
    expect(404, "DELETE", p + "/locks/l?token=1");
    expect(404, "GET", p + "/elections/e");
    expect(404, "POST", p + "/elections/e", "{\"ttl\": 60}");
    expect(404, "DELETE", p + "/elections/e?token=1");
    expect(404, "PUT", p + "/elections/e/proclaim", "{\"token\": 1, \"value\": \"v\"}");
    expect(404, "GET", p + "/services");
    expect(404, "GET", p + "/services/s");
    expect(404, "GET", p + "/services/s/events");
    expect(404, "GET", p + "/services/s/instances/i");
    expect(404, "PUT", p + "/services/s/instances/i", "{\"address\": \"h\", \"port\": 1}");
    expect(404, "DELETE", p + "/services/s/instances/i");
    expect(404, "PUT", p + "/services/s/instances/i/health", "{\"status\": \"passing\"}");
    expect(404, "GET", p + "/queues/q");
    expect(404, "POST", p + "/queues/q", "{\"value\": \"v\"}");
    expect(404, "POST", p + "/queues/q/take", "{\"ttl\": 60, \"timeout_ms\": 0}");
    expect(404, "GET", p + "/barriers/b");
    expect(404, "POST", p + "/barriers/b/enter", "{\"count\": 1, \"ttl\": 60}");
    expect(404, "PUT", p + "/barriers/b/hold");
    expect(404, "DELETE", p + "/barriers/b/hold");
    expect(404, "POST", p + "/barriers/b/wait");
  }

  private void services(String p) throws IOException, InterruptedException {
    String i = p + "/services/oas-svc/instances/i-1";
    expect(
        200,
        "PUT",
        i,
        "{\"address\": \"10.0.0.1\", \"port\": 80, \"tags\": [\"v1\"], \"meta\": {\"z\": \"a\"},"
            + " \"checks\": [{\"ttl\": \"30s\"}, {\"http\": \"http://127.0.0.1:1/health\","
            + " \"interval\": \"10s\", \"timeout\": 1}], \"deregister_after\": \"1h\"}");
    expect(400, "PUT", i, "{\"address\": \"h\", \"port\": 1, \"checks\": [{\"ttl\": \"1y\"}]}");
    expect(404, "PUT", i, "{\"address\": \"h\", \"port\": 1, \"lease\": 987654321}");
    expect(200, "PUT", i + "/health", "{\"status\": \"warning\", \"output\": \"slow\"}");
    expect(400, "PUT", i + "/health", "{\"status\": \"fine\"}");
    expect(
        404, "PUT", p + "/services/oas-svc/instances/nobody/health", "{\"status\": \"passing\"}");
    expect(200, "GET", i);
    expect(400, "GET", p + "/services/oas-svc/instances/b%2Fad");
    expect(404, "GET", p + "/services/oas-svc/instances/nobody");
    expect(200, "GET", p + "/services");
    expect(200, "GET", p + "/services/oas-svc?healthy=true&tag=v1");
    expect(200, "GET", p + "/services/oas-svc");
    expect(400, "GET", p + "/services/b%2Fad");
    expect(400, "GET", p + "/services/b%2Fad/events");
    openSse(p + "/services/oas-svc/events").close();
    expect(400, "DELETE", p + "/services/oas-svc/instances/b%2Fad");
    expect(200, "DELETE", i);
    expect(404, "DELETE", i);
  }

  private void queues(String p) {
    expect(408, "POST", p + "/queues/oas%2Fq/take", "{\"ttl\": 60, \"timeout_ms\": 0}");
    JsonNode pushed = expect(201, "POST", p + "/queues/oas%2Fq", "{\"value\": \"v\"}");
    expect(400, "POST", p + "/queues/oas%2Fq", "{}");
    expect(404, "POST", p + "/queues/", "{\"value\": \"v\"}");
    expect(413, "POST", p + "/queues/oas%2Fq", "{\"value\": \"" + "v".repeat(2048) + "\"}");
    expect(400, "POST", p + "/queues/oas%2Fq/take", "{}");
    expect(404, "POST", p + "/queues/oas%2Fq/take", "{\"lease\": 987654321}");
    JsonNode taken = expect(200, "POST", p + "/queues/oas%2Fq/take", "{\"ttl\": 60}");
    assertThat(taken.path("id").asLong()).isEqualTo(pushed.path("id").asLong());
    expect(200, "GET", p + "/queues/oas%2Fq");
    expect(200, "GET", p + "/queues/oas%2Fq?limit=1");
    expect(400, "GET", p + "/queues/oas%2Fq?limit=0");
    expect(404, "GET", p + "/queues/");
    long id = taken.path("id").asLong();
    long token = taken.path("token").asLong();
    expect(400, "DELETE", p + "/queues/oas%2Fq/claims/" + id);
    expect(404, "DELETE", p + "/queues/oas%2Fq/claims/?token=" + token);
    expect(409, "DELETE", p + "/queues/oas%2Fq/claims/" + id + "?token=" + (token + 1000));
    expect(200, "DELETE", p + "/queues/oas%2Fq/claims/" + id + "?token=" + token);
  }

  private void barriers(String p) {
    long lease = expect(200, "POST", p + "/leases", "{\"ttl\": 60}").path("id").asLong();
    JsonNode in =
        expect(200, "POST", p + "/barriers/oas/enter", "{\"count\": 1, \"lease\": " + lease + "}");
    assertThat(in.path("round").asLong()).isPositive();
    expect(409, "POST", p + "/barriers/oas/enter", "{\"count\": 2, \"lease\": " + lease + "}");
    expect(400, "POST", p + "/barriers/oas/enter", "{}");
    expect(404, "POST", p + "/barriers/oas/enter", "{\"count\": 1, \"lease\": 987654321}");
    expect(
        408, "POST", p + "/barriers/oas2/enter", "{\"count\": 2, \"ttl\": 60, \"timeout_ms\": 0}");
    expect(200, "GET", p + "/barriers/oas");
    expect(404, "GET", p + "/barriers/");
    expect(200, "POST", p + "/barriers/oas/leave", "{\"lease\": " + lease + "}");
    expect(409, "POST", p + "/barriers/oas/leave", "{\"lease\": " + lease + "}");
    expect(400, "POST", p + "/barriers/oas/leave", "{}");
    expect(404, "POST", p + "/barriers//leave", "{\"lease\": " + lease + "}");
    // Two members inside: the first to leave waits for the other, here in vain.
    long a = expect(200, "POST", p + "/leases", "{\"ttl\": 60}").path("id").asLong();
    java.util.concurrent.CompletableFuture<TestServer.Resp> first =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                node.send(
                    "POST",
                    p + "/barriers/oas3/enter",
                    ("{\"count\": 2, \"lease\": " + a + "}").getBytes(StandardCharsets.UTF_8)));
    expect(200, "POST", p + "/barriers/oas3/enter", "{\"count\": 2, \"ttl\": 60}");
    assertThat(first.join().status()).isEqualTo(200);
    expect(408, "POST", p + "/barriers/oas3/leave", "{\"lease\": " + a + ", \"timeout_ms\": 100}");
    // The simple barrier.
    expect(200, "POST", p + "/barriers/oas4/wait", "{}");
    expect(200, "PUT", p + "/barriers/oas4/hold");
    expect(200, "PUT", p + "/barriers/oas4/hold", "{\"ttl\": 60}");
    expect(400, "PUT", p + "/barriers/oas4/hold", "{\"ttl\": 60, \"lease\": 1}");
    expect(404, "PUT", p + "/barriers/oas4/hold", "{\"lease\": 987654321}");
    expect(408, "POST", p + "/barriers/oas4/wait", "{\"timeout_ms\": 0}");
    expect(400, "POST", p + "/barriers/oas4/wait", "{\"timeout_ms\": -1}");
    expect(404, "POST", p + "/barriers//wait", "{}");
    expect(200, "GET", p + "/barriers/oas4");
    expect(200, "DELETE", p + "/barriers/oas4/hold");
    expect(200, "DELETE", p + "/barriers/oas4/hold");
    expect(404, "DELETE", p + "/barriers//hold");
    expect(200, "POST", p + "/barriers/oas4/wait");
  }

  private void locks(String p) {
    JsonNode g = expect(200, "POST", p + "/locks/oas/l", "{\"ttl\": 60}");
    long token = g.path("fencing_token").asLong();
    held(p + "/locks", "oas/l", "", token);
    expect(400, "POST", p + "/locks/oas/l", "{}");
    expect(200, "GET", p + "/locks/oas/free");
    // Fenced writes: the holder's token passes, a stale one is refused.
    expect(200, "PUT", p + "/kv/oas/fenced", "v", "X-Cairn-Fence", "oas/l:" + token);
    expect(
        200,
        "POST",
        p + "/txn",
        "{\"compare\": [{\"fence\": {\"lock\": \"oas/l\", \"token\": "
            + token
            + "}}], \"success\": [{\"put\": {\"key\": \"oas/fenced\", \"value\": \"w\"}}]}");
    expect(200, "DELETE", p + "/locks/oas/l?token=" + token);
    expect(412, "PUT", p + "/kv/oas/fenced", "v", "X-Cairn-Fence", "oas/l:" + token);
    expect(412, "DELETE", p + "/kv/oas/fenced", null, "X-Cairn-Fence", "oas/l:" + token);
    expect(
        412,
        "POST",
        p + "/txn",
        "{\"compare\": [{\"fence\": {\"lock\": \"oas/l\", \"token\": "
            + token
            + "}}], \"success\": [{\"put\": {\"key\": \"oas/fenced\", \"value\": \"x\"}}]}");
  }

  private void rwlocks(String p) {
    JsonNode r = expect(200, "POST", p + "/rwlocks/oas/rw", "{\"mode\": \"read\", \"ttl\": 60}");
    long lease = r.path("lease").asLong();
    long token = r.path("fencing_token").asLong();
    expect(409, "POST", p + "/rwlocks/oas/rw", "{\"mode\": \"write\", \"lease\": " + lease + "}");
    held(p + "/rwlocks", "oas/rw", "\"mode\": \"write\", ", token);
    expect(400, "POST", p + "/rwlocks/oas/rw", "{\"mode\": \"upgrade\", \"ttl\": 60}");
    expect(200, "DELETE", p + "/rwlocks/oas/rw?token=" + token);
  }

  private void semaphores(String p) {
    expect(404, "GET", p + "/semaphores/oas/never");
    JsonNode g = expect(200, "POST", p + "/semaphores/oas/s", "{\"permits\": 1, \"ttl\": 60}");
    long token = g.path("token").asLong();
    held(p + "/semaphores", "oas/s", "", token);
    expect(409, "POST", p + "/semaphores/oas/s", "{\"permits\": 2, \"ttl\": 60}");
    expect(400, "POST", p + "/semaphores/oas/s", "{\"permits\": 0, \"ttl\": 60}");
    expect(404, "POST", p + "/semaphores/oas/never", "{\"ttl\": 60}");
    expect(404, "DELETE", p + "/semaphores/oas/never?token=1");
    expect(200, "DELETE", p + "/semaphores/oas/s?token=" + token);
  }

  private void counters(String p) {
    expect(404, "GET", p + "/counters/oas/c");
    expect(200, "POST", p + "/counters/oas/c", "{\"delta\": 2, \"initial\": 40}");
    expect(200, "GET", p + "/counters/oas/c");
    expect(400, "POST", p + "/counters/oas/c", "{}");
    expect(404, "POST", p + "/counters/", "{\"delta\": 1}");
  }

  private void elections(String p) {
    expect(200, "GET", p + "/elections/oas/e");
    JsonNode l = expect(200, "POST", p + "/elections/oas/e", "{\"value\": \"a\", \"ttl\": 60}");
    long token = l.path("fencing_token").asLong();
    held(p + "/elections", "oas/e", "", token);
    expect(400, "POST", p + "/elections/oas/e", "{}");
    expect(400, "GET", p + "/elections/oas/e?watch=perhaps");
    expect(404, "PUT", p + "/elections//proclaim", "{\"token\": 1, \"value\": \"v\"}");
    expect(
        200,
        "PUT",
        p + "/elections/oas/e/proclaim",
        "{\"token\": " + token + ", \"value\": \"b\"}");
    expect(400, "PUT", p + "/elections/oas/e/proclaim", "{\"value\": \"b\"}");
    expect(200, "DELETE", p + "/elections/oas/e?token=" + token);
    expect(
        409,
        "PUT",
        p + "/elections/oas/e/proclaim",
        "{\"token\": " + token + ", \"value\": \"c\"}");
  }

  private void watches(String p) throws IOException, InterruptedException {
    expect(400, "GET", p + "/watch");
    expect(400, "GET", p + "/watch/oas/a", null, "Last-Event-ID", "x");
    // Two watch connections are the limit: the third is refused on both watch routes.
    try (RawExchange ws = RawExchange.upgrade(node.port(), p + "/watch");
        InputStream sse = openSse(p + "/watch/oas/a")) {
      judge("GET", p + "/watch", null, ws.status, ws.headers, ws.body);
      try (RawExchange refused = RawExchange.upgrade(node.port(), p + "/watch")) {
        judge("GET", p + "/watch", null, refused.status, refused.headers, refused.body);
        assertThat(refused.status).as("the third watch connection").isEqualTo(503);
      }
      expect(503, "GET", p + "/watch/oas/a");
    }
    // The two close asynchronously: wait until a new stream is admitted again.
    TestServer.await(
        Duration.ofSeconds(60),
        "watch connections closed",
        () -> {
          try (RawExchange a = RawExchange.upgrade(node.port(), p + "/watch");
              RawExchange b = RawExchange.upgrade(node.port(), p + "/watch")) {
            return a.status == 101 && b.status == 101;
          } catch (IOException e) {
            return false;
          }
        });
  }

  /** Opens an event stream, judges its answer, and leaves it open for the caller to close. */
  private InputStream openSse(String path) throws IOException, InterruptedException {
    HttpResponse<InputStream> r =
        client.send(
            HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    judge("GET", path, null, r.statusCode(), r.headers(), new byte[0]);
    assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
    return r.body();
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The answers every recipe with holders and a queue of waiters (lock, read-write lock, semaphore,
   * election) gives alike, at {@code base + "/" + name} while {@code token} holds it: a try with
   * another lease is not granted (408), an unknown lease is 404, a release without a token is 400
   * and with another token 409; no name is 404 on {@code GET} and {@code DELETE}. {@code fields} go
   * first in the request bodies (e.g. a read-write lock's mode).
   */
  private void held(String base, String name, String fields, long token) {
    String at = base + "/" + name;
    expect(408, "POST", at, "{" + fields + "\"ttl\": 60, \"timeout_ms\": 0}");
    expect(404, "POST", at, "{" + fields + "\"lease\": 987654321}");
    expect(200, "GET", at);
    expect(400, "DELETE", at);
    expect(409, "DELETE", at + "?token=" + (token + 1000));
    expect(404, "GET", base + "/");
    expect(404, "DELETE", base + "/");
  }

  private JsonNode expect(int status, String method, String path) {
    return expect(status, method, path, null);
  }

  private JsonNode expect(int status, String method, String path, String body, String... headers) {
    TestServer.Resp r =
        exchange(
            method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    return r.contentType().contains("json") ? r.json() : null;
  }

  private TestServer.Resp exchange(String method, String path, byte[] body, String... headers) {
    TestServer.Resp r = node.send(method, path, body, headers);
    judge(method, path, body, r.status(), r.headers(), r.body());
    return r;
  }

  private void judge(
      String method, String path, byte[] body, int status, HttpHeaders headers, byte[] answer) {
    int q = path.indexOf('?');
    String raw = q < 0 ? path : path.substring(0, q);
    violations.addAll(DOC.check(method, raw, body, status, headers, answer));
    DOC.match(method, raw).ifPresent(m -> seen.add(m.op() + " " + status));
  }

  private static long revision(String ns) {
    return node.get("/v1/namespaces/" + ns).ok().path("revision").asLong();
  }

  /** An example in the document and the JSON pointer of the schema it illustrates. */
  record Example(String label, String schema, JsonNode value) {}

  private static List<Example> examples() {
    List<Example> out = new ArrayList<>();
    collect(DOC.doc(), "", out);
    return out;
  }

  private static void collect(JsonNode n, String pointer, List<Example> out) {
    if (n.isObject()) {
      boolean mediaType = pointer.contains("/content/");
      if (n.has("example")) {
        // On a schema the example illustrates the schema itself; on a media type, its schema.
        String schema = mediaType && n.has("schema") ? pointer + "/schema" : pointer;
        out.add(new Example("example at " + pointer, schema, n.get("example")));
      }
      if (n.has("examples") && n.has("schema")) {
        n.get("examples")
            .fields()
            .forEachRemaining(
                e ->
                    out.add(
                        new Example(
                            "example " + e.getKey() + " at " + pointer,
                            pointer + "/schema",
                            e.getValue().path("value"))));
      }
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("example") && !e.getKey().equals("examples")) {
                  collect(e.getValue(), pointer + "/" + OpenApiDocument.escape(e.getKey()), out);
                }
              });
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        collect(n.get(i), pointer + "/" + i, out);
      }
    }
  }

  /**
   * A request written to a raw socket, for the WebSocket handshake ({@link HttpClient} refuses to
   * send {@code Upgrade} itself): the status line, the headers and a Content-Length body. The
   * socket stays open (an upgraded connection counts as a watch connection) until closed.
   */
  static final class RawExchange implements AutoCloseable {
    final Socket socket;
    final int status;
    final HttpHeaders headers;
    final byte[] body;

    private RawExchange(Socket socket, int status, HttpHeaders headers, byte[] body) {
      this.socket = socket;
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    static RawExchange upgrade(int port, String path) throws IOException {
      Socket s = new Socket("127.0.0.1", port);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String statusLine = line(in);
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int c = h.indexOf(':');
        headers
            .computeIfAbsent(h.substring(0, c).trim(), k -> new ArrayList<>())
            .add(h.substring(c + 1).trim());
      }
      int length =
          headers.containsKey("Content-Length")
              ? Integer.parseInt(headers.get("Content-Length").get(0))
              : 0;
      byte[] body = in.readNBytes(length);
      return new RawExchange(
          s,
          Integer.parseInt(statusLine.split(" ")[1]),
          HttpHeaders.of(headers, (a, b) -> true),
          body);
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed in the headers");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
