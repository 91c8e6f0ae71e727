package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node holds 10,000 connections of every kind at once (idle keep-alive HTTP, server-sent-event
 * watches, WebSocket watches) and still answers: probes on the main port and on the ops port,
 * writes on fresh connections, and the connections it holds. The server runs as its own process:
 * this JVM's 10,000 sockets and the server's 10,000 would not fit one process's descriptor limit
 * (20,000 on the project's machine) together.
 *
 * <p>It prints what it measured (time to open, probe latency, the server's resident memory), the
 * figures of {@code docs/benchmarks.md}.
 */
class ManyConnectionsIT {
  private static final int KEEP_ALIVE = 4_000;
  private static final int SSE = 3_000;
  private static final int WEBSOCKET = 3_000;
  private static final int ALL = KEEP_ALIVE + SSE + WEBSOCKET;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void tenThousandConnectionsOfEveryKindAreHeldAndTheNodeStillAnswers() throws Exception {
    long fds =
        ((com.sun.management.UnixOperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getMaxFileDescriptorCount();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        fds >= ALL + 1_000,
        "this JVM may open " + fds + " descriptors; the test holds " + ALL + " (raise ulimit -n)");
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, "many-connections-");
    int opsPort = freePort();
    List<RawSocket> keepAlive = new ArrayList<>();
    List<RawSocket> events = new ArrayList<>();
    List<RawSocket> webSockets = new ArrayList<>();
    try (CairnProcess server =
        CairnProcess.start(
            dir.resolve("data"),
            dir.resolve("server.log"),
            Duration.ofSeconds(120),
            List.of("-Xmx1g"),
            "--ops-port",
            Integer.toString(opsPort))) {
      try {
        long t0 = System.nanoTime();
        for (int i = 0; i < KEEP_ALIVE; i++) {
          RawSocket s = new RawSocket(server.port());
          keepAlive.add(s);
          assertThat(s.get("/health").status()).isEqualTo(200);
        }
        for (int i = 0; i < SSE; i++) {
          RawSocket s = new RawSocket(server.port());
          events.add(s);
          assertThat(s.openEvents("/v1/watch/many/?prefix=true").status()).isEqualTo(200);
        }
        for (int i = 0; i < WEBSOCKET; i++) {
          RawSocket s = new RawSocket(server.port());
          webSockets.add(s);
          assertThat(s.openWebSocket("/v1/watch").status()).isEqualTo(101);
        }
        long openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // (and the launcher's readiness client may still hold its connection)
        assertThat(metric(opsPort, "cairn_http_connections_open\\{listener=\"client\",?\\}"))
            .isBetween((double) ALL, ALL + 1.0);

        // Probes and scrapes on fresh connections, both ports, with the 10,000 held.
        long worst = 0;
        for (int i = 0; i < 20; i++) {
          long p0 = System.nanoTime();
          try (RawSocket probe = new RawSocket(server.port())) {
            assertThat(probe.get("/health").status()).isEqualTo(200);
          }
          worst = Math.max(worst, System.nanoTime() - p0);
        }
        try (RawSocket probe = new RawSocket(opsPort)) {
          assertThat(probe.get("/ready").status()).isEqualTo(200);
        }
        // A write on a fresh connection reaches every SSE watcher; held connections still serve.
        try (RawSocket writer = new RawSocket(server.port())) {
          writer.send(
              "PUT /v1/kv/many/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nv");
          assertThat(writer.readHead().status()).isEqualTo(200);
        }
        for (int i = 0; i < SSE; i += SSE / 100) {
          RawSocket s = events.get(i);
          String l;
          do {
            l = s.line();
          } while (l != null && !l.equals("event: put"));
          assertThat(l).as("SSE stream %d got the put", i).isEqualTo("event: put");
        }
        for (int i = 0; i < KEEP_ALIVE; i += KEEP_ALIVE / 100) {
          assertThat(keepAlive.get(i).get("/health").status()).isEqualTo(200);
        }
        gc(server.pid()); // what the connections hold, not the garbage of opening them
        double heap = metricSum(opsPort, "jvm_memory_used_bytes\\{area=\"heap\"[^}]*\\}");
        System.out.printf(
            "ManyConnectionsIT: %d connections (%d keep-alive, %d SSE, %d WebSocket) opened in %d"
                + " ms; /health on a fresh connection: worst of 20 %.1f ms; server: %s, heap used"
                + " %.0f MiB%n",
            ALL,
            KEEP_ALIVE,
            SSE,
            WEBSOCKET,
            openMillis,
            worst / 1e6,
            rss(server.pid()),
            heap / (1 << 20));
      } finally {
        for (List<RawSocket> l : List.of(keepAlive, events, webSockets)) {
          for (RawSocket s : l) {
            s.close();
          }
        }
      }
    }
  }

  static double metric(int opsPort, String name) throws IOException {
    try (RawSocket s = new RawSocket(opsPort)) {
      Matcher m = Pattern.compile(name + " ([0-9.E+]+)").matcher(s.get("/metrics").body());
      if (!m.find()) {
        throw new AssertionError("no " + name + " in /metrics");
      }
      return Double.parseDouble(m.group(1));
    }
  }

  static double metricSum(int opsPort, String name) throws IOException {
    try (RawSocket s = new RawSocket(opsPort)) {
      Matcher m = Pattern.compile(name + " ([0-9.E+]+)").matcher(s.get("/metrics").body());
      double sum = 0;
      while (m.find()) {
        sum += Double.parseDouble(m.group(1));
      }
      return sum;
    }
  }

  /** A full collection in the server ({@code jcmd <pid> GC.run}), if jcmd is at hand. */
  static void gc(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").start();
      p.getInputStream().readAllBytes();
      p.waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      // no jcmd: the heap figure then includes garbage
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String rss(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (l.startsWith("VmRSS:")) {
          return "resident " + l.substring(6).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "resident ?";
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
