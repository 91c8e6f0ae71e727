package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Cairn node on a free port with its data in a fresh directory, and a real HTTP client
 * ({@link HttpClient}, HTTP/1.1) to talk to it. Test classes share one node through {@link
 * SharedServer} (a node takes seconds to start on a busy 2-core machine) and keep out of each
 * other's way with their own namespaces and key prefixes. A class that needs a node of its own
 * (other settings, restarts, timing) registers one with {@link #perClass}. The data directory
 * survives {@link #restart()}; the URL does not (port 0), so always ask {@link #url()}.
 */
public final class TestServer
    implements AutoCloseable,
        ExtensionContext.Store.CloseableResource,
        BeforeAllCallback,
        AfterAllCallback {
  public static final ObjectMapper JSON = new ObjectMapper();
  public static final String PROBLEM_JSON = "application/problem+json";

  private final Map<String, Object> overrides;
  private final HttpClient client;
  private volatile Path dir;
  private volatile CairnServer server;

  private TestServer(Map<String, Object> overrides) {
    this.overrides = new HashMap<>(overrides);
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  public static TestServer start() {
    return start(Map.of());
  }

  /** Starts a node on a fresh data directory; {@code overrides} set configuration keys. */
  public static TestServer start(Map<String, Object> overrides) {
    TestServer s = new TestServer(overrides);
    s.open();
    return s;
  }

  /**
   * A node for one test class, started before its first test and stopped after its last:
   * {@code @RegisterExtension static final TestServer node = TestServer.perClass(overrides);}
   */
  public static TestServer perClass(Map<String, Object> overrides) {
    return new TestServer(overrides);
  }

  public static TestServer perClass() {
    return perClass(Map.of());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    open();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void open() {
    try {
      Path root = Path.of("target", "test-data");
      Files.createDirectories(root);
      dir = Files.createTempDirectory(root, "node-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long t0 = System.nanoTime();
    server = boot();
    System.out.printf("node started in %d ms%n", millisSince(t0));
  }

  private CairnServer boot() {
    Map<String, Object> conf = new HashMap<>();
    conf.put("cairn.http.port", 0);
    conf.put("cairn.persistence.journal.dir", dir.resolve("journal").toString());
    conf.put("cairn.persistence.snapshot-store.dir", dir.resolve("snapshots").toString());
    conf.putAll(overrides);
    try {
      return CairnServer.start(ConfigFactory.parseMap(conf));
    } catch (Exception e) {
      throw new IllegalStateException("server did not start", e);
    }
  }

  /** Stops the server (coordinated shutdown) and starts it again on the same data. */
  public void restart() {
    server.close();
    server = boot();
  }

  public String url() {
    return server.url();
  }

  /** {@code ws://host:port} + path. */
  public URI ws(String path) {
    return URI.create("ws" + url().substring("http".length()) + path);
  }

  public int port() {
    return server.port();
  }

  public CairnServer server() {
    return server;
  }

  public HttpClient client() {
    return client;
  }

  /** Stops the node (also called by JUnit's root store at the end of the run). */
  @Override
  public void close() {
    CairnServer s = server;
    if (s != null) {
      long t0 = System.nanoTime();
      s.close();
      System.out.printf("node closed in %d ms%n", millisSince(t0));
    }
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: target/ is cleaned by the build anyway.
    }
  }

  // ------------------------------------------------------------------ requests

  /** Sends {@code method path} with {@code body} (null for none) and header name/value pairs. */
  public Resp send(String method, String path, byte[] body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Resp(method, path, r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public Resp send(String method, String path, String body, String... headers) {
    return send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  public Resp get(String path, String... headers) {
    return send("GET", path, (byte[]) null, headers);
  }

  public Resp put(String path, String body, String... headers) {
    return send("PUT", path, body, headers);
  }

  public Resp post(String path, String body, String... headers) {
    return send("POST", path, body, headers);
  }

  public Resp delete(String path, String... headers) {
    return send("DELETE", path, (byte[]) null, headers);
  }

  /** {@code /v1} for the default namespace, {@code /v1/ns/{ns}} for any other. */
  public static String prefix(String ns) {
    return ns == null || ns.equals("default") ? "/v1" : "/v1/ns/" + ns;
  }

  /** Creates namespace {@code ns} (idempotent). */
  public void createNamespace(String ns) {
    Resp r = put("/v1/namespaces/" + ns, null);
    assertThat(r.status()).as(r.toString()).isIn(200, 201);
  }

  /** Writes {@code key = value} in {@code ns} and returns the response (asserting 200). */
  public Resp putKv(String ns, String key, String value, String... headers) {
    Resp r = put(prefix(ns) + "/kv/" + key, value, headers);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r;
  }

  /**
   * Everything observable about namespace {@code ns}: its status (revision, compact revision, key
   * and lease counts), every key with its value and revisions, and every lease. Equal snapshots
   * before and after a request mean the request changed nothing.
   */
  public JsonNode snapshot(String ns) {
    ObjectNode out = JSON.createObjectNode();
    Resp status = get("/v1/namespaces/" + (ns == null ? "default" : ns));
    assertThat(status.status()).as(status.toString()).isEqualTo(200);
    out.set("status", status.json());
    Resp all = get(prefix(ns) + "/kv/?prefix=true");
    assertThat(all.status()).as(all.toString()).isEqualTo(200);
    out.set("kvs", all.json());
    Resp leases = get(prefix(ns) + "/leases");
    assertThat(leases.status()).as(leases.toString()).isEqualTo(200);
    out.set("leases", leases.json());
    return out;
  }

  /** {@code key} as a path segment: URL-encoded, but with its slashes kept. */
  public static String enc(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
  }

  /** Writes {@code key = value} in the default namespace; the answer is not checked. */
  public Resp putKey(String key, String value) {
    return put("/v1/kv/" + enc(key), value);
  }

  /** Writes {@code key = value} bound to {@code lease}; the answer is not checked. */
  public Resp putKey(String key, String value, long lease) {
    return put("/v1/kv/" + enc(key) + "?lease=" + lease, value);
  }

  public Resp getKey(String key) {
    return get("/v1/kv/" + enc(key));
  }

  public Resp deleteKey(String key) {
    return delete("/v1/kv/" + enc(key));
  }

  /** Whether {@code key} exists now (asserting the read itself worked). */
  public boolean exists(String key) {
    Resp r = getKey(key);
    if (r.status() == 200) {
      return true;
    }
    if (r.status() == 404 && r.code().equals("key_not_found")) {
      return false;
    }
    throw new AssertionError("unexpected answer " + r);
  }

  /** The number of keys under {@code prefix} now. */
  public long count(String prefix) {
    Resp r = get("/v1/kv/" + enc(prefix) + "?prefix=true&count_only=true");
    if (r.status() != 200) {
      throw new AssertionError("unexpected answer " + r);
    }
    return r.json().path("count").asLong();
  }

  /** Grants a lease over HTTP and returns its id (asserting success). */
  public long grant(long ttl) {
    Resp r = post("/v1/leases", "{\"ttl\":" + ttl + "}");
    if (r.status() != 200) {
      throw new AssertionError("grant failed: " + r);
    }
    return r.json().path("id").asLong();
  }

  public Resp keepAlive(long lease) {
    return post("/v1/leases/" + lease + "/keepalive", null);
  }

  public Resp leaseInfo(long lease) {
    return get("/v1/leases/" + lease);
  }

  public Resp revoke(long lease) {
    return delete("/v1/leases/" + lease);
  }

  /** The default namespace's current revision. */
  public long revision() {
    Resp r = get("/v1/namespaces/default");
    if (r.status() != 200) {
      throw new AssertionError("unexpected answer " + r);
    }
    return r.json().path("revision").asLong();
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes; never sleeps blindly. */
  public static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        // A bounded poll interval between checks of a real condition, not a synchronisation sleep.
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /** Milliseconds since {@code startNanos}. */
  public static long millisSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
  }

  // ------------------------------------------------------------------ responses

  /** One answer, with helpers for the API's conventions. */
  public record Resp(
      String method, String path, int status, java.net.http.HttpHeaders headers, byte[] body) {

    public Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    public String contentType() {
      return header("Content-Type").orElse("");
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + this, e);
      }
    }

    /** The {@code revision} field of the body, or -1. */
    public long revision() {
      return json().path("revision").asLong(-1);
    }

    /** The {@code code} field of the body (a problem's code). */
    public String code() {
      return json().path("code").asText();
    }

    /** Asserts a 2xx JSON answer with {@code status} and returns its body. */
    public JsonNode ok(int expected) {
      assertThat(status).as("status of %s", this).isEqualTo(expected);
      assertThat(contentType()).as("content type of %s", this).startsWith("application/json");
      return json();
    }

    public JsonNode ok() {
      return ok(200);
    }

    /**
     * Asserts a problem+json answer with {@code expectedStatus} and {@code code}, whose body
     * repeats the status and code, and returns the body.
     */
    public JsonNode problem(int expectedStatus, String code) {
      assertThat(status).as("status of %s", this).isEqualTo(expectedStatus);
      JsonNode p = assertProblemShape();
      assertThat(p.path("code").asText()).as("code of %s", this).isEqualTo(code);
      return p;
    }

    /** Asserts that this is a well-formed problem+json answer (any status) and returns it. */
    public JsonNode assertProblemShape() {
      assertThat(contentType()).as("content type of %s", this).startsWith(PROBLEM_JSON);
      JsonNode p = json();
      assertThat(p.path("code").isTextual()).as("code in %s", this).isTrue();
      assertThat(p.path("code").asText()).as("code in %s", this).isNotEmpty();
      assertThat(p.path("status").asInt()).as("status field of %s", this).isEqualTo(status);
      assertThat(p.path("type").asText())
          .as("type of %s", this)
          .isEqualTo("urn:cairn:problem:" + p.path("code").asText());
      assertThat(p.path("title").asText()).as("title of %s", this).isNotEmpty();
      return p;
    }

    @Override
    public String toString() {
      String t = text();
      if (t.length() > 300) {
        t = t.substring(0, 300) + "...";
      }
      return method + " " + path + " -> " + status + " " + contentType() + " " + t;
    }
  }
}
