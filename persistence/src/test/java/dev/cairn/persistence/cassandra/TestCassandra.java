package dev.cairn.persistence.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real Cassandra for the whole test JVM, started on first use with this tree's {@code bin/cairn
 * cassandra start} on free ports and a temporary data directory, and stopped ({@code bin/cairn
 * cassandra stop}: SIGTERM, wait) by a shutdown hook. With the environment variable {@code
 * CAIRN_TEST_CASSANDRA=host:port} the tests use that running Cassandra instead.
 */
public final class TestCassandra {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
  private static String contactPoint;
  private static Path dataDir;

  private TestCassandra() {}

  /** {@code host:port} of the CQL port, starting Cassandra on first call. */
  public static synchronized String contactPoint() {
    if (contactPoint == null) {
      String given = System.getenv("CAIRN_TEST_CASSANDRA");
      contactPoint = given != null && !given.isBlank() ? given : start();
    }
    return contactPoint;
  }

  /** The data directory of the Cassandra this JVM started; empty when it uses a given one. */
  public static synchronized java.util.Optional<Path> dataDir() {
    contactPoint();
    return java.util.Optional.ofNullable(dataDir);
  }

  /** This tree's root directory (holding bin/cairn). */
  public static Path root() {
    return Path.of(System.getProperty("cairn.root", "..")).toAbsolutePath().normalize();
  }

  private static String start() {
    Path root = root();
    Path script = root.resolve("bin/cairn");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("no bin/cairn under " + root + " (set -Dcairn.root)");
    }
    try {
      Path dataDir = Files.createTempDirectory("cairn-test-cassandra");
      TestCassandra.dataDir = dataDir;
      int cqlPort = freePort();
      int storagePort = freePort();
      long startedAt = System.nanoTime();
      run(
          root,
          List.of(
              script.toString(),
              "cassandra",
              "start",
              "--data-dir",
              dataDir.toString(),
              "--port",
              Integer.toString(cqlPort),
              "--storage-port",
              Integer.toString(storagePort)),
          START_TIMEOUT);
      System.out.printf(
          "test Cassandra ready on 127.0.0.1:%d after %d ms (data %s)%n",
          cqlPort, (System.nanoTime() - startedAt) / 1_000_000, dataDir);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      run(
                          root,
                          List.of(
                              script.toString(),
                              "cassandra",
                              "stop",
                              "--data-dir",
                              dataDir.toString()),
                          Duration.ofMinutes(2));
                      deleteRecursively(dataDir);
                    } catch (RuntimeException e) {
                      System.err.println("stopping the test Cassandra failed: " + e);
                    }
                  },
                  "stop-test-cassandra"));
      return "127.0.0.1:" + cqlPort;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs {@code command} (a {@code bin/cairn cassandra …} line) in {@code root} and waits for it,
   * at most {@code timeout}; fails with its output when it does not end or exits non-zero. The test
   * Cassandra's options apply: system tables without fsync, a start timeout within {@code timeout}.
   */
  public static void run(Path root, List<String> command, Duration timeout) {
    try {
      Path out = Files.createTempFile("cairn-cassandra-cmd", ".log");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      builder
          .environment()
          .put("CAIRN_CASSANDRA_START_TIMEOUT", Long.toString(timeout.toSeconds() - 10));
      // Schema changes without fsync of the system tables: a test node starts and creates
      // keyspaces faster; nothing of it must survive a crash.
      builder.environment().put("CAIRN_CASSANDRA_OPTS", "-Dcassandra.unsafesystem=true");
      Process process = builder.start();
      boolean exited = process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
      String output = Files.readString(out, StandardCharsets.UTF_8);
      Files.deleteIfExists(out);
      if (!exited) {
        process.destroy();
        throw new IllegalStateException(command + " did not finish in " + timeout + ":\n" + output);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            command + " exited with " + process.exitValue() + ":\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: a temp directory
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
