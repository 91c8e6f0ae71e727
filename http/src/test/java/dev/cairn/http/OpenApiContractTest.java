package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cairn.core.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code openapi.yaml} against the live server, both ways: every documented path and method is
 * served (never 404 {@code not_found} nor 405), answers with a status the document lists, and every
 * method the document leaves out is 405; and every route this test knows the server serves is
 * documented. The document cannot drift from the routes without this test failing.
 */
@ExtendWith(SharedServer.class)
class OpenApiContractTest {
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");
  private static final Set<String> WATCH_PATHS =
      Set.of("/v1/watch", "/v1/watch/{key}", "/v1/ns/{ns}/watch", "/v1/ns/{ns}/watch/{key}");

  /**
   * Every route the server serves, as "METHOD path-template". Kept by hand on purpose: a route
   * added to {@link Api} without a line here and in the document is caught by the reviewer of this
   * list; a line here without the document fails {@link #everyKnownRouteIsDocumented}.
   */
  private static final List<String> KNOWN_ROUTES =
      List.of(
          "GET /health",
          "GET /ready",
          "GET /metrics",
          "GET /v1/openapi.yaml",
          "GET /v1/cluster",
          "GET /v1/kv/{key}",
          "PUT /v1/kv/{key}",
          "DELETE /v1/kv/{key}",
          "POST /v1/kv/{key}",
          "POST /v1/txn",
          "POST /v1/compact",
          "GET /v1/leases",
          "POST /v1/leases",
          "GET /v1/leases/{id}",
          "DELETE /v1/leases/{id}",
          "POST /v1/leases/{id}/keepalive",
          "PUT /v1/leases/{id}/keepalive",
          "GET /v1/locks/{name}",
          "POST /v1/locks/{name}",
          "DELETE /v1/locks/{name}",
          "GET /v1/services",
          "GET /v1/services/{service}",
          "GET /v1/services/{service}/events",
          "GET /v1/services/{service}/instances/{id}",
          "PUT /v1/services/{service}/instances/{id}",
          "DELETE /v1/services/{service}/instances/{id}",
          "PUT /v1/services/{service}/instances/{id}/health",
          "GET /v1/rwlocks/{name}",
          "POST /v1/rwlocks/{name}",
          "DELETE /v1/rwlocks/{name}",
          "GET /v1/semaphores/{name}",
          "POST /v1/semaphores/{name}",
          "DELETE /v1/semaphores/{name}",
          "GET /v1/counters/{name}",
          "POST /v1/counters/{name}",
          "GET /v1/queues/{queue}",
          "POST /v1/queues/{queue}",
          "POST /v1/queues/{queue}/take",
          "DELETE /v1/queues/{queue}/claims/{id}",
          "GET /v1/barriers/{barrier}",
          "POST /v1/barriers/{barrier}/enter",
          "POST /v1/barriers/{barrier}/leave",
          "GET /v1/elections/{name}",
          "POST /v1/elections/{name}",
          "DELETE /v1/elections/{name}",
          "PUT /v1/elections/{name}/proclaim",
          "PUT /v1/barriers/{barrier}/hold",
          "DELETE /v1/barriers/{barrier}/hold",
          "POST /v1/barriers/{barrier}/wait",
          "GET /v1/watch",
          "GET /v1/watch/{key}",
          "GET /v1/namespaces",
          "GET /v1/namespaces/{ns}",
          "PUT /v1/namespaces/{ns}",
          "DELETE /v1/namespaces/{ns}",
          "GET /v1/ns/{ns}/kv/{key}",
          "PUT /v1/ns/{ns}/kv/{key}",
          "DELETE /v1/ns/{ns}/kv/{key}",
          "POST /v1/ns/{ns}/kv/{key}",
          "POST /v1/ns/{ns}/txn",
          "POST /v1/ns/{ns}/compact",
          "GET /v1/ns/{ns}/leases",
          "POST /v1/ns/{ns}/leases",
          "GET /v1/ns/{ns}/leases/{id}",
          "DELETE /v1/ns/{ns}/leases/{id}",
          "POST /v1/ns/{ns}/leases/{id}/keepalive",
          "PUT /v1/ns/{ns}/leases/{id}/keepalive",
          "GET /v1/ns/{ns}/locks/{name}",
          "POST /v1/ns/{ns}/locks/{name}",
          "DELETE /v1/ns/{ns}/locks/{name}",
          "GET /v1/ns/{ns}/services",
          "GET /v1/ns/{ns}/services/{service}",
          "GET /v1/ns/{ns}/services/{service}/events",
          "GET /v1/ns/{ns}/services/{service}/instances/{id}",
          "PUT /v1/ns/{ns}/services/{service}/instances/{id}",
          "DELETE /v1/ns/{ns}/services/{service}/instances/{id}",
          "PUT /v1/ns/{ns}/services/{service}/instances/{id}/health",
          "GET /v1/ns/{ns}/rwlocks/{name}",
          "POST /v1/ns/{ns}/rwlocks/{name}",
          "DELETE /v1/ns/{ns}/rwlocks/{name}",
          "GET /v1/ns/{ns}/semaphores/{name}",
          "POST /v1/ns/{ns}/semaphores/{name}",
          "DELETE /v1/ns/{ns}/semaphores/{name}",
          "GET /v1/ns/{ns}/counters/{name}",
          "POST /v1/ns/{ns}/counters/{name}",
          "GET /v1/ns/{ns}/queues/{queue}",
          "POST /v1/ns/{ns}/queues/{queue}",
          "POST /v1/ns/{ns}/queues/{queue}/take",
          "DELETE /v1/ns/{ns}/queues/{queue}/claims/{id}",
          "GET /v1/ns/{ns}/barriers/{barrier}",
          "POST /v1/ns/{ns}/barriers/{barrier}/enter",
          "POST /v1/ns/{ns}/barriers/{barrier}/leave",
          "GET /v1/ns/{ns}/elections/{name}",
          "POST /v1/ns/{ns}/elections/{name}",
          "DELETE /v1/ns/{ns}/elections/{name}",
          "PUT /v1/ns/{ns}/elections/{name}/proclaim",
          "PUT /v1/ns/{ns}/barriers/{barrier}/hold",
          "DELETE /v1/ns/{ns}/barriers/{barrier}/hold",
          "POST /v1/ns/{ns}/barriers/{barrier}/wait",
          "GET /v1/ns/{ns}/watch",
          "GET /v1/ns/{ns}/watch/{key}");

  private static final String PROBE_NS = "openapi-probe";
  private static final String DOOMED_NS = "openapi-doomed";

  private static TestServer s;
  private static JsonNode doc;
  private static HttpClient client;
  private static long defaultLease;
  private static long probeLease;

  @BeforeAll
  static void setUp(TestServer server) throws IOException {
    s = server;
    try (InputStream in = OpenApiContractTest.class.getResourceAsStream("/openapi.yaml")) {
      assertThat(in).as("openapi.yaml on the classpath").isNotNull();
      doc = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    s.createNamespace(PROBE_NS);
    s.createNamespace(DOOMED_NS);
    defaultLease = s.post("/v1/leases", "{\"ttl\": 600}").ok().path("id").asLong();
    probeLease =
        s.post("/v1/ns/" + PROBE_NS + "/leases", "{\"ttl\": 600}").ok().path("id").asLong();
    s.putKv(null, "openapi-probe/k", "v");
    s.putKv(PROBE_NS, "openapi-probe/k", "v");
  }

  // ------------------------------------------------------------------ the document itself

  @Test
  void theDocumentIsOpenApi30AndIsWhatTheServerServes() {
    assertThat(doc.path("openapi").asText()).startsWith("3.0.");
    assertThat(doc.path("info").path("title").asText()).isNotBlank();
    assertThat(doc.path("info").path("version").asText()).isNotBlank();
    assertThat(doc.path("paths").size()).isGreaterThan(10);
    TestServer.Resp served = s.get("/v1/openapi.yaml");
    assertThat(served.status()).isEqualTo(200);
    try (InputStream in = OpenApiContractTest.class.getResourceAsStream("/openapi.yaml")) {
      assertThat(served.body()).isEqualTo(in.readAllBytes());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everyReferenceResolvesAndEveryOperationIsComplete() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      assertThat(doc.at(ref.substring(1)).isMissingNode()).as("%s resolves", ref).isFalse();
    }
    Set<String> ids = new LinkedHashSet<>();
    forEachOperation(
        (path, method, op) -> {
          String id = op.path("operationId").asText();
          assertThat(id).as("operationId of %s %s", method, path).isNotBlank();
          assertThat(ids.add(id)).as("operationId %s is unique", id).isTrue();
          assertThat(op.path("responses").size()).as("responses of %s", id).isPositive();
          assertThat(op.path("summary").asText()).as("summary of %s", id).isNotBlank();
          // Every {param} in the path is declared as a required path parameter, and no other.
          Set<String> inTemplate = new TreeSet<>();
          Matcher m = Pattern.compile("\\{([^}]+)}").matcher(path);
          while (m.find()) {
            inTemplate.add(m.group(1));
          }
          Set<String> declared = new TreeSet<>();
          List<JsonNode> params = new ArrayList<>();
          doc.path("paths").path(path).path("parameters").forEach(params::add);
          op.path("parameters").forEach(params::add);
          for (JsonNode p : params) {
            JsonNode r = resolve(p);
            assertThat(r.path("name").asText()).as("a parameter of %s", id).isNotBlank();
            assertThat(r.path("in").asText()).isIn("path", "query", "header");
            if (r.path("in").asText().equals("path")) {
              assertThat(r.path("required").asBoolean()).as("%s is required", r).isTrue();
              declared.add(r.path("name").asText());
            }
          }
          assertThat(declared).as("path parameters of %s %s", method, path).isEqualTo(inTemplate);
        });
  }

  @Test
  void theProblemSchemaListsExactlyTheErrorCodes() {
    JsonNode problem = doc.at("/components/schemas/Problem");
    List<String> required = new ArrayList<>();
    problem.path("required").forEach(n -> required.add(n.asText()));
    assertThat(required).contains("code", "status", "type", "title");
    Set<String> documented = new TreeSet<>();
    problem.at("/properties/code/enum").forEach(n -> documented.add(n.asText()));
    Set<String> actual = new TreeSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      actual.add(c.wire());
    }
    assertThat(documented).isEqualTo(actual);
    // Every error response is problem+json.
    doc.at("/components/responses")
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("KeepAlive")) {
                assertThat(e.getValue().path("content").has("application/problem+json"))
                    .as("response %s is problem+json", e.getKey())
                    .isTrue();
              }
            });
  }

  @Test
  void everyDefaultNamespaceRouteHasItsNamespacedTwin() {
    Iterator<String> it = doc.path("paths").fieldNames();
    while (it.hasNext()) {
      String path = it.next();
      if (!path.startsWith("/v1/")
          || path.startsWith("/v1/ns/")
          || path.startsWith("/v1/namespaces")
          || path.equals("/v1/openapi.yaml")
          || path.equals("/v1/cluster")) {
        continue;
      }
      String twin = "/v1/ns/{ns}" + path.substring(3);
      assertThat(doc.path("paths").has(twin)).as("%s has %s", path, twin).isTrue();
      assertThat(methodsOf(twin)).as("methods of %s", twin).isEqualTo(methodsOf(path));
    }
  }

  // ------------------------------------------------------------------ against the live routes

  @Test
  void everyKnownRouteIsDocumented() {
    Set<String> documented = new TreeSet<>();
    forEachOperation((path, method, op) -> documented.add(method.toUpperCase() + " " + path));
    assertThat(documented).containsAll(KNOWN_ROUTES);
    assertThat(KNOWN_ROUTES)
        .as("the document has no route this test does not know")
        .containsAll(documented);
  }

  @Test
  void everyDocumentedOperationIsServedWithADocumentedStatus() {
    probeAll(false);
  }

  @Test
  void theWatchRoutesAreServedWithADocumentedStatus() {
    Assumptions.assumeFalse(
        isRouteMissing(send("GET", "/v1/watch/openapi-probe/k", null)),
        "the watch API is not wired into this build yet");
    probeAll(true);
    // The documented 101: a real WebSocket client upgrades on both watch sockets.
    for (String path : List.of("/v1/watch", "/v1/ns/" + PROBE_NS + "/watch")) {
      java.net.http.WebSocket ws =
          client
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create(s.url().replace("http://", "ws://") + path),
                  new java.net.http.WebSocket.Listener() {})
              .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
              .join();
      ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").join();
    }
  }

  @Test
  void everyKnownRouteAnswersSomethingOtherThanNotFoundOrMethodNotAllowed() {
    boolean watch = !isRouteMissing(send("GET", "/v1/watch/openapi-probe/k", null));
    for (String route : KNOWN_ROUTES) {
      String method = route.substring(0, route.indexOf(' '));
      String template = route.substring(route.indexOf(' ') + 1);
      if (!watch && WATCH_PATHS.contains(template)) {
        continue;
      }
      Probe p = send(method, sample(template, method), sampleBody(template, method));
      assertThat(isRouteMissing(p) || p.status() == 405).as("%s -> %s", route, p).isFalse();
    }
  }

  private void probeAll(boolean watchRoutes) {
    Map<String, JsonNode> ops = new LinkedHashMap<>();
    forEachOperation(
        (path, method, op) -> {
          if (WATCH_PATHS.contains(path) == watchRoutes) {
            ops.put(method + " " + path, op);
          }
        });
    assertThat(ops).isNotEmpty();
    // Destructive operations last, so that reads and writes find what they expect.
    List<String> order = new ArrayList<>(ops.keySet());
    order.sort((a, b) -> Boolean.compare(a.startsWith("delete "), b.startsWith("delete ")));
    for (String key : order) {
      String method = key.substring(0, key.indexOf(' '));
      String path = key.substring(key.indexOf(' ') + 1);
      JsonNode op = ops.get(key);
      Probe p = send(method.toUpperCase(), sample(path, method), sampleBody(path, method));
      assertThat(isRouteMissing(p)).as("%s is routed: %s", key, p).isFalse();
      assertThat(p.status()).as("%s is allowed: %s", key, p).isNotEqualTo(405);
      assertThat(p.status()).as("%s does not fail: %s", key, p).isLessThan(500);
      assertThat(op.path("responses").has(Integer.toString(p.status())))
          .as("%s answered %s, which the document lists", key, p)
          .isTrue();
      if (p.status() >= 400) {
        assertThat(p.contentType()).as("%s: %s", key, p).startsWith("application/problem+json");
      } else {
        JsonNode content =
            resolve(op.path("responses").path(Integer.toString(p.status()))).path("content");
        if (content.size() > 0) {
          String type = p.contentType().replaceAll(";.*", "").trim();
          assertThat(content.has(type))
              .as(
                  "%s answered %s, documented as %s",
                  key, type, content.fieldNames().hasNext() ? content.fieldNames().next() : "")
              .isTrue();
        }
      }
      // Every method the document does not list for this path is refused.
      for (String other : METHODS) {
        if (!doc.path("paths").path(path).has(other)) {
          Probe q =
              send(other.toUpperCase(), sample(path, other), other.equals("get") ? null : "x");
          assertThat(q.status()).as("%s %s is not documented: %s", other, path, q).isEqualTo(405);
        }
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private interface OpVisitor {
    void visit(String path, String method, JsonNode op);
  }

  private static void forEachOperation(OpVisitor v) {
    doc.path("paths")
        .fields()
        .forEachRemaining(
            e -> {
              for (String m : List.of("get", "put", "post", "delete", "patch", "head", "options")) {
                if (e.getValue().has(m)) {
                  v.visit(e.getKey(), m, e.getValue().get(m));
                }
              }
            });
  }

  private static Set<String> methodsOf(String path) {
    Set<String> out = new TreeSet<>();
    doc.path("paths")
        .path(path)
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!f.equals("parameters")) {
                out.add(f);
              }
            });
    return out;
  }

  private static JsonNode resolve(JsonNode n) {
    while (n.has("$ref")) {
      n = doc.at(n.get("$ref").asText().substring(1));
    }
    return n;
  }

  private static void collectRefs(JsonNode n, List<String> out) {
    if (n.isObject()) {
      n.fields()
          .forEachRemaining(
              e -> {
                if (e.getKey().equals("$ref")) {
                  out.add(e.getValue().asText());
                } else {
                  collectRefs(e.getValue(), out);
                }
              });
    } else if (n.isArray()) {
      n.forEach(c -> collectRefs(c, out));
    }
  }

  /** A concrete URL path for {@code template}, with required query parameters filled in. */
  private static String sample(String template, String method) {
    boolean namespaceRoute = template.startsWith("/v1/namespaces/");
    String out =
        template
            .replace("{ns}", namespaceRoute ? DOOMED_NS : PROBE_NS)
            .replace("{key}", "openapi-probe/k")
            .replace("{name}", "openapi-probe/lock")
            .replace("{service}", "openapi-probe")
            .replace("{queue}", "openapi-probe")
            .replace("{barrier}", "openapi-probe")
            .replace(
                "{id}", Long.toString(template.startsWith("/v1/ns/") ? probeLease : defaultLease));
    if (template.endsWith("/kv/{key}") && method.equalsIgnoreCase("post")) {
      out += "?sequential=true";
    }
    if ((template.endsWith("/locks/{name}")
            || template.endsWith("/semaphores/{name}")
            || template.endsWith("/elections/{name}"))
        && method.equalsIgnoreCase("delete")) {
      out += "?token=1";
    }
    return out;
  }

  private static String sampleBody(String template, String method) {
    if (template.endsWith("/txn")) {
      return "{\"success\": [{\"range\": {\"key\": \"openapi-probe/k\"}}]}";
    }
    if (template.endsWith("/compact")) {
      return "{\"revision\": 1}";
    }
    if ((template.endsWith("/locks/{name}") || template.endsWith("/elections/{name}"))
        && method.equalsIgnoreCase("post")) {
      return "{\"ttl\": 60, \"timeout_ms\": 0}";
    }
    if (template.endsWith("/instances/{id}") && method.equalsIgnoreCase("put")) {
      // No checks: this shared node's default namespace gets no health checker (and its lease).
      return "{\"address\": \"10.0.0.1\", \"port\": 80}";
    }
    if (template.endsWith("/instances/{id}/health")) {
      return "{\"status\": \"passing\"}";
    }
    if (template.endsWith("/rwlocks/{name}") && method.equalsIgnoreCase("post")) {
      return "{\"mode\": \"read\", \"ttl\": 60, \"timeout_ms\": 0}";
    }
    if (template.endsWith("/semaphores/{name}") && method.equalsIgnoreCase("post")) {
      return "{\"permits\": 2, \"ttl\": 60, \"timeout_ms\": 0}";
    }
    if (template.endsWith("/counters/{name}") && method.equalsIgnoreCase("post")) {
      return "{\"delta\": 1}";
    }
    if (template.endsWith("/proclaim")) {
      return "{\"token\": 1, \"value\": \"v\"}";
    }
    if (template.endsWith("/barriers/{barrier}/wait")) {
      return "{\"timeout_ms\": 0}"; // the probe may have held it: do not wait
    }
    if (template.endsWith("/leases") && method.equalsIgnoreCase("post")) {
      return "{\"ttl\": 60}";
    }
    if (template.endsWith("/kv/{key}")
        && !method.equalsIgnoreCase("get")
        && !method.equalsIgnoreCase("delete")) {
      return "v";
    }
    return null;
  }

  /** True for the answer of a path the server does not route: 404 with code not_found. */
  private static boolean isRouteMissing(Probe p) {
    return p.status() == 404 && p.body().contains("\"not_found\"");
  }

  record Probe(String request, int status, String contentType, String body) {
    @Override
    public String toString() {
      return request + " -> " + status + " " + contentType + " " + body;
    }
  }

  /** Sends a request; reads at most 64 KiB of the answer, so an event stream does not hang it. */
  private static Probe send(String method, String path, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(s.url() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<InputStream> r =
          client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      String type = r.headers().firstValue("Content-Type").orElse("");
      String text;
      try (InputStream in = r.body()) {
        text =
            type.startsWith("text/event-stream")
                ? ""
                : new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      }
      return new Probe(method + " " + path, r.statusCode(), type, text);
    } catch (IOException e) {
      return fail(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted");
    }
  }
}
