package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Cassandra outage under a running node: a Cairn JVM on the Cassandra journal, on a Cassandra
 * process of this test's own (started with {@code bin/cairn cassandra start} on free ports and its
 * own data directory), with writers writing and linearizable readers reading all the time. The
 * Cassandra process is first frozen (SIGSTOP: a hang, its sockets open) and thawed, then stopped
 * ({@code bin/cairn cassandra stop}) and started again on the same data directory.
 *
 * <p>While Cassandra is away every write and linearizable read is answered within the request
 * timeout, either 200 or a 503 with a documented retryable code and {@code Retry-After}: never a
 * 500, never a hang. After Cassandra is back, writes and reads succeed again by themselves within a
 * bound (the time is printed), and every write acknowledged before, during or after the outage is
 * read back with its value at the end.
 */
class CassandraOutageIT {

  /** Codes a 503 may carry here; all documented as retryable. */
  private static final Set<String> RETRYABLE =
      Set.of("unavailable", "timeout", "not_leader_retry", "cassandra_unreachable");

  /** Longer than the server's own request timeout (30 s): beyond it a request has hung. */
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(40);

  /** How long a request may take to be answered while Cassandra is away. */
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(31);

  /** Writes and reads must work again this long after Cassandra accepts connections again. */
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(90);

  private static final int WRITERS = 4;
  private static final int READERS = 2;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Acknowledged writes: key → value. Each key is written once. */
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

  /** Everything that broke the contract, reported at the end. */
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

  private final AtomicLong lastWriteOk = new AtomicLong();
  private final AtomicLong lastReadOk = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong maxRefusalMillis = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void writesAndLinearizableReadsAreRefusedWhileCassandraIsAwayAndResumeWhenItReturns()
      throws Exception {
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, "cassandra-outage-");
    try (OwnCassandra cassandra = OwnCassandra.start(dir.resolve("cassandra"));
        CairnProcess node =
            CairnProcess.start(
                dir.resolve("node"),
                dir.resolve("node.log"),
                Duration.ofMinutes(3),
                List.of(
                    "-Dcairn.persistence.cassandra-journal.keyspace=outage",
                    "-Dcairn.persistence.cassandra-snapshot-store.keyspace=outage"),
                "--journal",
                "cassandra",
                "--cassandra",
                cassandra.contactPoint())) {
      URI base = node.uri("/");
      assertThat(put(base, "read-me", "r").statusCode()).isEqualTo(200);
      acknowledged.put("read-me", "r");

      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int id = w;
        threads.add(started(new Thread(() -> writer(base, id), "writer-" + w)));
      }
      for (int r = 0; r < READERS; r++) {
        threads.add(started(new Thread(() -> reader(base), "reader-" + r)));
      }
      try {
        awaitProgress("before the outage", Duration.ofSeconds(60));

        // 1. A hang: Cassandra frozen, its sockets open, nothing answered.
        cassandra.signal("STOP");
        long frozenAt = System.nanoTime();
        awaitRefusals("Cassandra frozen", Duration.ofSeconds(60));
        sleepUntil(frozenAt + Duration.ofSeconds(15).toNanos());
        cassandra.signal("CONT");
        long thawedAt = System.nanoTime();
        Duration afterThaw = awaitProgress("after SIGCONT", RECOVERY_BOUND);
        System.out.printf(
            "Cassandra frozen %d ms; writes and reads succeeded again %d ms after SIGCONT%n",
            (thawedAt - frozenAt) / 1_000_000, afterThaw.toMillis());

        // 2. Gone: Cassandra stopped, then started again on the same data directory.
        long stoppingAt = System.nanoTime();
        cassandra.stop();
        long stoppedAt = System.nanoTime();
        awaitRefusals("Cassandra stopped", Duration.ofSeconds(60));
        sleepUntil(stoppedAt + Duration.ofSeconds(15).toNanos());
        cassandra.restart();
        long backAt = System.nanoTime();
        Duration afterRestart = awaitProgress("after the restart", RECOVERY_BOUND);
        System.out.printf(
            "Cassandra away %d ms (stop, 15 s, start); writes and reads succeeded again %d ms after"
                + " it accepted connections; %d refusals, the slowest answered in %d ms%n",
            (backAt - stoppingAt) / 1_000_000,
            afterRestart.toMillis(),
            refused.get(),
            maxRefusalMillis.get());
        awaitProgress("at the end", Duration.ofSeconds(60));
      } finally {
        stop.set(true);
        for (Thread t : threads) {
          t.join(CLIENT_TIMEOUT.multipliedBy(2).toMillis());
        }
      }

      assertThat(violations).as("answers that broke the contract").isEmpty();
      assertThat(refused.get()).as("requests refused during the outages").isPositive();
      List<String> lost = new ArrayList<>();
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        HttpResponse<String> r = get(base, e.getKey());
        if (r.statusCode() != 200 || !r.body().contains("\"value\":\"" + e.getValue() + "\"")) {
          lost.add(e.getKey() + " → " + r.statusCode() + " " + r.body());
        }
      }
      System.out.printf("%d acknowledged writes read back%n", acknowledged.size());
      assertThat(lost).as("acknowledged writes missing at the end").isEmpty();
      assertThat(node.output()).doesNotContain("\tat dev.cairn");
    }
  }

  // ------------------------------------------------------------------ workload

  private void writer(URI base, int id) {
    for (long i = 0; !stop.get(); i++) {
      String key = "w" + id + "-" + i;
      String value = "v" + i;
      HttpResponse<String> r = call(() -> put(base, key, value), "PUT " + key);
      if (r != null && r.statusCode() == 200) {
        acknowledged.put(key, value);
        lastWriteOk.set(System.nanoTime());
      } else {
        pauseAfterRefusal(r);
      }
    }
  }

  private void reader(URI base) {
    while (!stop.get()) {
      HttpResponse<String> r = call(() -> get(base, "read-me"), "GET read-me");
      if (r != null && r.statusCode() == 200) {
        if (!r.body().contains("\"value\":\"r\"")) {
          violations.add("GET read-me answered " + r.body());
        }
        lastReadOk.set(System.nanoTime());
      } else {
        pauseAfterRefusal(r);
      }
    }
  }

  private interface Call {
    HttpResponse<String> send() throws IOException, InterruptedException;
  }

  /**
   * One request; records a violation unless it is 200 or a retryable 503 with {@code Retry-After},
   * answered within {@link #ANSWER_BOUND}. Returns null when it got no answer.
   */
  private HttpResponse<String> call(Call call, String what) {
    long started = System.nanoTime();
    HttpResponse<String> r;
    try {
      r = call.send();
    } catch (IOException e) {
      violations.add(what + ": no answer (" + e + ")");
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    if (r.statusCode() == 200) {
      return r;
    }
    if (r.statusCode() != 503) {
      violations.add(what + ": " + r.statusCode() + " " + r.body());
    } else {
      refused.incrementAndGet();
      maxRefusalMillis.accumulateAndGet(millis, Math::max);
      String code = code(r.body());
      if (!RETRYABLE.contains(code)) {
        violations.add(what + ": 503 with code " + code + ": " + r.body());
      }
      if (r.headers().firstValue("Retry-After").isEmpty()) {
        violations.add(what + ": 503 without Retry-After: " + r.body());
      }
    }
    if (millis > ANSWER_BOUND.toMillis()) {
      violations.add(what + ": answered after " + millis + " ms: " + r.statusCode());
    }
    return r;
  }

  private static void pauseAfterRefusal(HttpResponse<String> r) {
    // Clients honour Retry-After loosely: a short pause keeps the log readable.
    LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
  }

  private static String code(String body) {
    int at = body.indexOf("\"code\":\"");
    if (at < 0) {
      return "(none)";
    }
    int from = at + "\"code\":\"".length();
    return body.substring(from, body.indexOf('"', from));
  }

  /** Waits until a write and a read have both succeeded after now; returns how long it took. */
  private Duration awaitProgress(String when, Duration bound) {
    long since = System.nanoTime();
    long deadline = since + bound.toNanos();
    while (lastWriteOk.get() - since <= 0 || lastReadOk.get() - since <= 0) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "no successful write and read "
                + when
                + " within "
                + bound
                + "; violations so far: "
                + violations);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    return Duration.ofNanos(Math.max(lastWriteOk.get(), lastReadOk.get()) - since);
  }

  /** Waits until requests are being refused (the node noticed that Cassandra is away). */
  private void awaitRefusals(String when, Duration bound) {
    long before = refused.get();
    long deadline = System.nanoTime() + bound.toNanos();
    while (refused.get() == before) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no request refused " + when + " within " + bound);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  private static Thread started(Thread t) {
    t.start();
    return t;
  }

  private static void sleepUntil(long nanoTime) {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private HttpResponse<String> put(URI base, String key, String value)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/kv/" + key))
            .timeout(CLIENT_TIMEOUT)
            .PUT(HttpRequest.BodyPublishers.ofString(value))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(URI base, String key) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/kv/" + key)).timeout(CLIENT_TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  // ------------------------------------------------------------------ Cassandra of its own

  /**
   * A Cassandra process of this test's own, started, stopped and started again with this tree's
   * {@code bin/cairn cassandra} on free ports and one data directory; stopped on close.
   */
  private static final class OwnCassandra implements AutoCloseable {
    private final Path root;
    private final Path dataDir;
    private final int cqlPort;
    private final int storagePort;
    private boolean running;

    private OwnCassandra(Path root, Path dataDir, int cqlPort, int storagePort) {
      this.root = root;
      this.dataDir = dataDir;
      this.cqlPort = cqlPort;
      this.storagePort = storagePort;
    }

    static OwnCassandra start(Path dataDir) throws IOException {
      Path root = Path.of(System.getProperty("cairn.root", "..")).toAbsolutePath().normalize();
      OwnCassandra c = new OwnCassandra(root, dataDir, freePort(), freePort());
      c.restart();
      return c;
    }

    String contactPoint() {
      return "127.0.0.1:" + cqlPort;
    }

    /** {@code bin/cairn cassandra start}: returns once the CQL port accepts connections. */
    void restart() throws IOException {
      run(
          "start",
          "--data-dir",
          dataDir.toString(),
          "--port",
          Integer.toString(cqlPort),
          "--storage-port",
          Integer.toString(storagePort));
      running = true;
    }

    /** {@code bin/cairn cassandra stop}: SIGTERM, then waits for the exit. */
    void stop() throws IOException {
      running = false;
      run("stop", "--data-dir", dataDir.toString());
    }

    /** {@code kill -<signal>} of the Cassandra process. */
    void signal(String signal) throws IOException {
      long pid = Long.parseLong(Files.readString(dataDir.resolve("cassandra.pid")).trim());
      try {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
          throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws IOException {
      if (running) {
        signal("CONT"); // a failed test may leave it frozen
        stop();
      }
    }

    private void run(String... args) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(root.resolve("bin/cairn").toString());
      cmd.add("cassandra");
      cmd.addAll(List.of(args));
      Path out = Files.createTempFile(dataDir.getParent(), "cassandra-" + args[0], ".log");
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      pb.environment().put("CAIRN_CASSANDRA_START_TIMEOUT", "240");
      pb.environment().put("CAIRN_CASSANDRA_OPTS", "-Dcassandra.unsafesystem=true");
      Process p = pb.start();
      try {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
          p.destroy();
          throw new IllegalStateException(cmd + " did not finish");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            cmd
                + " exited with "
                + p.exitValue()
                + ":\n"
                + Files.readString(out, StandardCharsets.UTF_8));
      }
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      }
    }
  }
}
