package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.cairn.http.CairnServer;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real Cairn node for the watch and lease tests (owned by those tests, independent of other test
 * support): its data lives in a directory of its own that survives {@link #restart()}, and it has a
 * real {@link HttpClient}. The URL changes on restart (port 0), so always ask {@link #url()}.
 */
public final class CairnNode implements AutoCloseable {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Map<String, Object> overrides;
  private final HttpClient http;
  private volatile CairnServer server;

  private CairnNode(Path dir, Map<String, Object> overrides) {
    this.dir = dir;
    this.overrides = overrides;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  /** Starts a node with the given {@code cairn.*} overrides on a fresh data directory. */
  public static CairnNode start(Map<String, Object> overrides) {
    Path dir;
    try {
      Path root = Path.of("target", "watch-lease-test-data");
      Files.createDirectories(root);
      dir = Files.createTempDirectory(root, "node-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CairnNode n = new CairnNode(dir, new HashMap<>(overrides));
    long t0 = System.nanoTime();
    n.server = n.boot();
    System.out.printf("node started in %d ms%n", millisSince(t0));
    return n;
  }

  public static CairnNode start() {
    return start(Map.of());
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

  public HttpClient client() {
    return http;
  }

  @Override
  public void close() {
    long t0 = System.nanoTime();
    server.close();
    System.out.printf("node closed in %d ms%n", millisSince(t0));
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort; target/ is cleaned by the build
    }
  }

  // ------------------------------------------------------------------ HTTP

  /** One HTTP answer. */
  public record Resp(String what, int status, String contentType, String body) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + this, e);
      }
    }

    public long revision() {
      return json().path("revision").asLong(-1);
    }

    public String code() {
      return json().path("code").asText();
    }

    @Override
    public String toString() {
      String b = body.length() > 400 ? body.substring(0, 400) + "..." : body;
      return what + " -> " + status + " " + contentType + " " + b;
    }
  }

  public Resp send(String method, String path, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    try {
      HttpResponse<String> r =
          http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Resp(
          method + " " + path,
          r.statusCode(),
          r.headers().firstValue("Content-Type").orElse(""),
          r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static String enc(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
  }

  public Resp put(String key, String value) {
    return send("PUT", "/v1/kv/" + enc(key), value);
  }

  public Resp put(String key, String value, long lease) {
    return send("PUT", "/v1/kv/" + enc(key) + "?lease=" + lease, value);
  }

  public Resp delete(String key) {
    return send("DELETE", "/v1/kv/" + enc(key), null);
  }

  public Resp get(String key) {
    return send("GET", "/v1/kv/" + enc(key), null);
  }

  /** Whether {@code key} exists now (asserting the read itself worked). */
  public boolean exists(String key) {
    Resp r = get(key);
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
    Resp r = send("GET", "/v1/kv/" + enc(prefix) + "?prefix=true&count_only=true", null);
    if (r.status() != 200) {
      throw new AssertionError("unexpected answer " + r);
    }
    return r.json().path("count").asLong();
  }

  /** Grants a lease over HTTP and returns its id (asserting success). */
  public long grant(long ttl) {
    Resp r = send("POST", "/v1/leases", "{\"ttl\":" + ttl + "}");
    if (r.status() != 200) {
      throw new AssertionError("grant failed: " + r);
    }
    return r.json().path("id").asLong();
  }

  public Resp keepAlive(long lease) {
    return send("POST", "/v1/leases/" + lease + "/keepalive", null);
  }

  public Resp leaseInfo(long lease) {
    return send("GET", "/v1/leases/" + lease, null);
  }

  public Resp revoke(long lease) {
    return send("DELETE", "/v1/leases/" + lease, null);
  }

  /** The namespace's current revision. */
  public long revision() {
    Resp r = send("GET", "/v1/namespaces/default", null);
    if (r.status() != 200) {
      throw new AssertionError("unexpected answer " + r);
    }
    return r.json().path("revision").asLong();
  }

  // ------------------------------------------------------------------ waiting

  /**
   * Re-checks {@code condition} until it holds or {@code timeout} passes, then fails with {@code
   * what}. Waits on a real condition with a deadline; the short park is only the poll interval.
   */
  public static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      if (Thread.interrupted()) {
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /** Milliseconds since {@code startNanos}. */
  public static long millisSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
  }
}
