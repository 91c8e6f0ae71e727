package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.persistence.cassandra.TestCassandra;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wrong or missing cluster settings get a clear message, never a stack trace: real server processes
 * started with {@code bin/cairn server}'s flags.
 */
class ClusterStartupIT {

  private static Path dir(String name) throws Exception {
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    return Files.createTempDirectory(work, name + "-");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A process that exited at once with code 2 and a one-line reason on stderr. */
  private static void assertRefused(CairnProcess p, String reason) {
    Integer code = p.awaitExit(Duration.ofSeconds(60));
    assertThat(code).as("exit code; output:%n%s", p.tail(40)).isEqualTo(2);
    assertThat(p.output()).contains("cairn: cannot start: ").contains(reason);
    assertThat(p.output())
        .as("no stack trace")
        .doesNotContain("\tat ")
        .doesNotContain("Exception:");
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void cassandraJournalWithoutContactPointsExitsWithAMessage() throws Exception {
    Path d = dir("no-contact-points");
    try (CairnProcess p =
        CairnProcess.launch(d.resolve("data"), d.resolve("server.log"), "--journal", "cassandra")) {
      assertRefused(p, "--journal cassandra needs --cassandra HOST:PORT");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aSeedWithTheEmbeddedJournalExitsWithAMessage() throws Exception {
    Path d = dir("seed-embedded");
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data"), d.resolve("server.log"), "--seed", "127.0.0.1:" + freePort())) {
      assertRefused(p, "--seed needs --journal cassandra");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void kubernetesDiscoveryWithTheEmbeddedJournalExitsWithAMessage() throws Exception {
    Path d = dir("discovery-embedded");
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data"), d.resolve("server.log"), "--discovery", "kubernetes")) {
      assertRefused(p, "--discovery kubernetes needs --journal cassandra");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aConfigFileIsReadAndAWrongValueInItExitsWithAMessage() throws Exception {
    Path d = dir("config-file");
    Path file = d.resolve("cairn.conf");
    Files.writeString(file, "cairn.cluster.discovery = dns\n");
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data"), d.resolve("server.log"), "--config", file.toString())) {
      assertRefused(p, "must be none or kubernetes, not 'dns'");
    }
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data2"),
            d.resolve("server2.log"),
            "--config",
            d.resolve("missing.conf").toString())) {
      assertRefused(p, "cannot read --config");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aClusterPortInUseExitsAtOnce() throws Exception {
    Path d = dir("cluster-port-in-use");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CairnProcess p =
            CairnProcess.launch(
                d.resolve("data"),
                d.resolve("server.log"),
                "--cluster-port",
                Integer.toString(taken.getLocalPort()))) {
      assertRefused(p, "cluster port 127.0.0.1:" + taken.getLocalPort() + " is not available");
    }
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void anUnreachableCassandraIsRetriedAndTheNodeBecomesReadyWhenItAppears() throws Exception {
    String cassandra = TestCassandra.contactPoint();
    int port = freePort(); // nothing listens there until the proxy starts
    Path d = dir("cassandra-appears");
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data"),
            d.resolve("server.log"),
            List.of("-Dcairn.persistence.cassandra-journal.keyspace=appears" + port),
            "--journal",
            "cassandra",
            "--cassandra",
            "127.0.0.1:" + port)) {
      HttpResponse<String> ready =
          Http.await(p.uri("/ready"), r -> r.statusCode() == 503, Duration.ofSeconds(120));
      assertThat(ready.body()).contains("\"code\":\"cassandra_unreachable\"");
      HttpResponse<String> put = Http.put(p.uri("/v1/kv/k"), "v");
      assertThat(put.statusCode()).isEqualTo(503);
      assertThat(put.body()).contains("cassandra_unreachable");
      assertThat(put.headers().firstValue("Retry-After")).isPresent();
      awaitOutput(p, "is unreachable", Duration.ofSeconds(60));
      awaitOutput(p, "attempt 2 failed", Duration.ofSeconds(60)); // it keeps trying
      assertThat(p.isAlive()).isTrue();

      try (TcpProxy appears = TcpProxy.start(port, cassandra)) {
        Http.await(p.uri("/ready"), r -> r.statusCode() == 200, Duration.ofSeconds(120));
        assertThat(Http.put(p.uri("/v1/kv/k"), "v").statusCode()).isEqualTo(200);
        assertThat(Http.get(p.uri("/v1/kv/k")).body()).contains("\"value\":\"v\"");
        assertThat(p.output()).doesNotContain("\tat ");
      }
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aSeedThatNeverAnswersIsLoggedAndTheNodeIsNotReady() throws Exception {
    String cassandra = TestCassandra.contactPoint();
    int silentSeed = freePort();
    Path d = dir("silent-seed");
    try (CairnProcess p =
        CairnProcess.launch(
            d.resolve("data"),
            d.resolve("server.log"),
            List.of("-Dcairn.persistence.cassandra-journal.keyspace=silent" + silentSeed),
            "--journal",
            "cassandra",
            "--cassandra",
            cassandra,
            "--cluster-port",
            Integer.toString(freePort()),
            "--seed",
            "127.0.0.1:" + silentSeed)) {
      awaitOutput(p, "not yet a cluster member", Duration.ofSeconds(120));
      assertThat(p.output()).contains("127.0.0.1:" + silentSeed);
      // Once Cassandra has answered, what keeps it from being ready is its membership.
      HttpResponse<String> ready =
          Http.await(
              p.uri("/ready"),
              r -> r.body().contains("not an Up cluster member"),
              Duration.ofSeconds(120));
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"code\":\"unavailable\"");
      assertThat(p.isAlive()).isTrue();
      assertThat(p.output()).doesNotContain("\tat ");
    }
  }

  private static void awaitOutput(CairnProcess p, String text, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!p.output().contains(text)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "no '" + text + "' in the output after " + timeout + ":\n" + p.tail(40));
      }
      p.awaitExit(Duration.ofMillis(100));
    }
  }
}
