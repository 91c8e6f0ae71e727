package dev.cairn.multijvm;

import dev.cairn.persistence.cassandra.TestCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A ring of real Cassandra nodes on loopback addresses 127.0.0.1 … 127.0.0.N, all on the same CQL
 * and storage ports, each started with this tree's {@code bin/cairn cassandra start --address …
 * --seeds 127.0.0.1} in a data directory of its own, one after the other. Offers {@code kill -9}
 * and restart of a node by index; {@link #close} stops every node that runs.
 */
final class CassandraRing implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

  private final Path root;
  private final Path dir;
  private final int cqlPort;
  private final int storagePort;
  private final int size;

  private CassandraRing(Path root, Path dir, int cqlPort, int storagePort, int size) {
    this.root = root;
    this.dir = dir;
    this.cqlPort = cqlPort;
    this.storagePort = storagePort;
    this.size = size;
  }

  /** Starts {@code size} nodes under {@code dir}, returning once each one's CQL port accepts. */
  static CassandraRing start(Path dir, int size) throws IOException {
    Path root = TestCassandra.root();
    int cql = freeOnAll(size, -1);
    int storage = freeOnAll(size, cql);
    CassandraRing ring = new CassandraRing(root, dir, cql, storage, size);
    try {
      for (int i = 0; i < size; i++) {
        ring.startNode(i);
      }
      return ring;
    } catch (RuntimeException e) {
      ring.close();
      throw e;
    }
  }

  /** The address of node {@code i} (0-based): 127.0.0.(i + 1). */
  String address(int i) {
    return "127.0.0." + (i + 1);
  }

  /** Every node's CQL endpoint, comma-separated, as {@code --cassandra} takes them. */
  String contactPoints() {
    return IntStream.range(0, size)
        .mapToObj(i -> address(i) + ":" + cqlPort)
        .collect(Collectors.joining(","));
  }

  /** SIGKILL of node {@code i}; returns once it has exited. */
  void kill9(int i) {
    long pid = pid(i);
    ProcessHandle.of(pid)
        .ifPresent(
            p -> {
              p.destroyForcibly();
              p.onExit().orTimeout(60, TimeUnit.SECONDS).join();
            });
  }

  /** Starts node {@code i} again on its data directory; returns once its CQL port accepts. */
  void restart(int i) {
    startNode(i);
  }

  private long pid(int i) {
    try {
      return Long.parseLong(
          Files.readString(nodeDir(i).resolve("cassandra.pid"), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path nodeDir(int i) {
    return dir.resolve("cassandra" + i);
  }

  private void startNode(int i) {
    run(
        List.of(
            root.resolve("bin/cairn").toString(),
            "cassandra",
            "start",
            "--data-dir",
            nodeDir(i).toString(),
            "--address",
            address(i),
            "--seeds",
            address(0),
            "--port",
            Integer.toString(cqlPort),
            "--storage-port",
            Integer.toString(storagePort)),
        START_TIMEOUT);
  }

  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      if (Files.exists(nodeDir(i).resolve("cassandra.pid"))) {
        try {
          run(
              List.of(
                  root.resolve("bin/cairn").toString(),
                  "cassandra",
                  "stop",
                  "--data-dir",
                  nodeDir(i).toString()),
              Duration.ofMinutes(2));
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
    }
    if (!failures.isEmpty()) {
      System.err.println("stopping the Cassandra ring: " + failures);
    }
  }

  private void run(List<String> command, Duration timeout) {
    TestCassandra.run(root, command, timeout);
  }

  /** A port free on every address of the ring (and not {@code other}). */
  private static int freeOnAll(int size, int other) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int candidate = CairnProcess.freePort();
      if (candidate == other) {
        continue;
      }
      boolean free = true;
      for (int i = 0; i < size && free; i++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (i + 1)), candidate));
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return candidate;
      }
    }
    throw new IOException("no port free on all of 127.0.0.1-" + size);
  }
}
