package dev.cairn.cli;

import com.typesafe.config.ConfigFactory;
import dev.cairn.http.CairnServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Cairn node in the test JVM on a port the OS picked free, its data in a fresh directory
 * under target/; {@link #restart()} keeps the port and the data, so the command line's endpoint
 * stays valid.
 */
final class TestNode implements AutoCloseable {
  private final Path dir;
  private final int port;
  private volatile CairnServer server;

  private TestNode() throws IOException {
    Path root = Path.of("target", "test-data");
    Files.createDirectories(root);
    dir = Files.createTempDirectory(root, "node-").toAbsolutePath();
    port = freePort();
  }

  static TestNode start() throws IOException {
    TestNode n = new TestNode();
    n.boot();
    return n;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void boot() {
    try {
      server =
          CairnServer.start(
              ConfigFactory.parseMap(
                  Map.of(
                      "cairn.http.port", port,
                      "cairn.persistence.journal.dir", dir.resolve("journal").toString(),
                      "cairn.persistence.snapshot-store.dir",
                          dir.resolve("snapshots").toString())));
    } catch (Exception e) {
      throw new IllegalStateException("server did not start", e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Stops the node and starts it again on the same port and data. */
  void restart() {
    stop();
    boot();
  }

  private void stop() {
    CairnServer s = server;
    server = null;
    if (s != null) {
      s.close();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
