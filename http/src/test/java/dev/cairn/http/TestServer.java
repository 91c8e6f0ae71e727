package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
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
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Cairn node on a free port with its data in a fresh directory, and a real HTTP client
 * ({@link HttpClient}, HTTP/1.1) to talk to it. Test classes share one node through {@link
 * SharedServer} (a node takes seconds to start on a busy 2-core machine) and keep out of each
 * other's way with their own namespaces and key prefixes.
 */
public final class TestServer implements AutoCloseable, ExtensionContext.Store.CloseableResource {
  public static final ObjectMapper JSON = new ObjectMapper();
  public static final String PROBLEM_JSON = "application/problem+json";

  private final CairnServer server;
  private final Path dir;
  private final HttpClient client;
  private final String base;

  private TestServer(CairnServer server, Path dir) {
    this.server = server;
    this.dir = dir;
    this.base = server.url();
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  public static TestServer start() {
    return start(Map.of());
  }

  /** Starts a node; {@code extra} overrides configuration keys. */
  public static TestServer start(Map<String, Object> extra) {
    Path dir;
    try {
      Path root = Path.of("target", "test-data");
      Files.createDirectories(root);
      dir = Files.createTempDirectory(root, "server-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Object> conf = new HashMap<>();
    conf.put("cairn.http.port", 0);
    conf.put("cairn.persistence.journal.dir", dir.resolve("journal").toString());
    conf.put("cairn.persistence.snapshot-store.dir", dir.resolve("snapshots").toString());
    conf.putAll(extra);
    try {
      return new TestServer(CairnServer.start(ConfigFactory.parseMap(conf)), dir);
    } catch (Exception e) {
      throw new IllegalStateException("server did not start", e);
    }
  }

  public String url() {
    return base;
  }

  public int port() {
    return server.port();
  }

  public CairnServer server() {
    return server;
  }

  /** Stops the node (also called by JUnit's root store at the end of the run). */
  @Override
  public void close() {
    server.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: target/ is cleaned by the build anyway.
    }
  }

  // ------------------------------------------------------------------ requests

  /** Sends {@code method path} with {@code body} (null for none) and header name/value pairs. */
  public Resp send(String method, String path, byte[] body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
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
