package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.http.watch.SseClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An existing namespace's leader stops after {@code cairn.namespace.passivate-idle} without
 * requests and comes back with its data on the next one; an open watch keeps it running.
 */
@Timeout(120)
class IdleLeaderTest {
  private static final Duration IDLE = Duration.ofSeconds(1);

  @RegisterExtension
  static final TestServer s =
      TestServer.perClass(
          Map.of(
              "cairn.namespace.passivate-idle",
              IDLE.toMillis() + "ms",
              "cairn.watch.progress-interval",
              "200ms"));

  static int running() {
    return s.server().namespaces().runningLeaders();
  }

  static long starts() {
    return s.server().namespaces().leaderStarts();
  }

  /** Waits until only the default namespace's leader runs (it never stops); returns that count. */
  static int onlyTheDefaultLeader() {
    s.putKey("warm", "1");
    // Other tests' namespaces stop after the idle time.
    TestServer.await(Duration.ofSeconds(30), "only the default leader", () -> running() == 1);
    return 1;
  }

  @Test
  void anIdleNamespaceStopsAndItsDataIsThereOnTheNextRequest() {
    int others = onlyTheDefaultLeader();
    s.createNamespace("napping");
    s.putKv("napping", "k", "v");
    assertThat(running()).isEqualTo(others + 1);
    long startsBefore = starts();
    TestServer.await(Duration.ofSeconds(30), "the idle leader stopped", () -> running() == others);

    assertThat(s.get("/v1/ns/napping/kv/k").ok().path("kv").path("value").asText()).isEqualTo("v");
    assertThat(starts()).isEqualTo(startsBefore + 1);
    assertThat(s.get("/metrics").text())
        .containsPattern(
            "(?m)^cairn_namespace_leader_starts_total(\\{[^}]*\\})? " + starts() + "\\.0$");
    assertThat(running()).isEqualTo(others + 1);
  }

  @Test
  void anOpenWatchKeepsItsNamespaceLeaderRunning() {
    int others = onlyTheDefaultLeader();
    s.createNamespace("watched");
    s.putKv("watched", "k", "1");
    try (SseClient sse = SseClient.open(s, "/v1/ns/watched/watch/k")) {
      assertThat(sse.status()).isEqualTo(200);
      // The watch is registered (and its leader running) once it delivers a change.
      s.putKv("watched", "k", "2");
      sse.expect("the first put", Duration.ofSeconds(10), e -> e.event().equals("put"));
      long startsBefore = starts();
      int runningBefore = running();
      // Several idle periods: the watch's progress requests must keep the leader from stopping.
      long end = System.nanoTime() + IDLE.multipliedBy(4).toNanos();
      while (System.nanoTime() < end) {
        assertThat(starts()).as("no leader restarted").isEqualTo(startsBefore);
        assertThat(running()).isEqualTo(runningBefore);
        sse.awaitMore(Integer.MAX_VALUE - 1, Duration.ofMillis(100)); // a pause, or the end
      }
      s.putKv("watched", "k", "3");
      sse.expect("the second put", Duration.ofSeconds(10), e -> e.data().contains("\"3\""));
      assertThat(starts()).isEqualTo(startsBefore);
    }
    // No watch left: the leader stops after the idle time.
    TestServer.await(
        Duration.ofSeconds(30), "the unwatched leader stopped", () -> running() == others);
  }
}
