package dev.cairn.client;

import com.typesafe.config.ConfigFactory;
import dev.cairn.http.CairnServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real Cairn node in this JVM on a port the OS picked free, with its data in a fresh directory.
 * {@link #restart()} keeps the port and the data, so a client's endpoint stays valid.
 */
final class Node implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Map<String, Object> overrides;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private volatile CairnServer server;

  private Node(Map<String, Object> overrides) {
    this.overrides = overrides;
    try {
      Path root = Path.of("target", "test-data");
      Files.createDirectories(root);
      dir = Files.createTempDirectory(root, "node-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.port = freePort();
  }

  static Node start() {
    return start(Map.of());
  }

  static Node start(Map<String, Object> overrides) {
    Node n = new Node(overrides);
    n.boot();
    return n;
  }

  /** A port nobody listens on now (the OS's pick of a free one). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void boot() {
    Map<String, Object> conf = new HashMap<>();
    conf.put("cairn.http.port", port);
    conf.put("cairn.persistence.journal.dir", dir.resolve("journal").toString());
    conf.put("cairn.persistence.snapshot-store.dir", dir.resolve("snapshots").toString());
    conf.putAll(overrides);
    try {
      server = CairnServer.start(ConfigFactory.parseMap(conf));
    } catch (Exception e) {
      throw new IllegalStateException("server did not start", e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Stops the node. */
  void stop() {
    CairnServer s = server;
    server = null;
    if (s != null) {
      s.close();
    }
  }

  /** Starts the stopped node again on the same port and data. */
  void startAgain() {
    boot();
  }

  void restart() {
    stop();
    boot();
  }

  /** A plain HTTP/1.1 request, as another client would send it; answers status and body. */
  HttpResponse<String> send(String method, String path, String body) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(url() + path))
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: target/ is cleaned by the build
    }
  }
}
