package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A client that stops reading gets its watch cancelled with reason slow_consumer instead of making
 * the server buffer without bound; everyone else carries on; the client resumes from the
 * last_revision it was told, with no gap and no duplicate.
 */
class WatchBackPressureTest {
  @RegisterExtension
  static final TestServer node = TestServer.perClass(WsClient.heldBackLimits(32, "16MiB"));

  private static double slowConsumerCancels() {
    return node.get("/metrics")
        .text()
        .lines()
        .filter(l -> l.startsWith("cairn_watch_canceled_total{") && l.contains("slow_consumer"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void aClientThatStopsReadingIsCancelledAsSlowAndResumesWithoutAGap() throws Exception {
    WatchExactnessTest.seeded("slow consumer", this::run);
  }

  private void run(Random random) throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Logger connections = (Logger) LoggerFactory.getLogger(WatchConnection.class);
    connections.addAppender(logged);
    try {
      run(random, logged);
    } finally {
      connections.detachAppender(logged);
    }
  }

  private void run(Random random, ListAppender<ILoggingEvent> logged) throws Exception {
    String prefix = "bp/";
    long from = node.revision() + 1;
    try (WsClient slow = WsClient.connect(node);
        Follower fast = new Follower(node, prefix, from, List.of(), random)) {
      slow.send(WsClient.createPrefix(1, prefix, from));
      slow.expect("created", WsClient.created(1));
      slow.pause();

      // ~25 MB of changes: far more than the socket queue, the per-watch buffer and the kernel's
      // socket buffers hold, so the paused client must fall behind for good.
      WriteLoad load = new WriteLoad(node, prefix, 200, 8, 1_100, random.nextLong(), 32 * 1024);
      long t0 = System.nanoTime();
      load.start().join(120_000);
      System.out.printf("%d writes of 32 KiB took %d ms%n", 1_100, TestServer.millisSince(t0));

      // The server stayed responsive: every write was acknowledged and the other connection's
      // watch saw every change while this client was not reading.
      TestServer.await(
          Duration.ofSeconds(60),
          "the reading watcher to see everything",
          () -> fast.hasSeenAll(load.acked().keySet()) || !fast.problems().isEmpty());
      assertThat(fast.problems()).isEmpty();
      if (fast.slowCancels() > 0) {
        // On a loaded machine the reading watcher can fall behind too; it resumed like a client.
        System.out.printf(
            "the reading watcher was cancelled as slow %d times%n", fast.slowCancels());
      }
      assertThat(Follower.verify(fast.seen(), load.acked(), List.of()))
          .as("what the reading watcher saw")
          .isEmpty();
      assertThat(node.putKey("bp-after", "x").status()).isEqualTo(200);

      slow.resume();
      JsonNode canceled =
          slow.expect("the slow_consumer cancel", Duration.ofSeconds(60), WsClient.canceled(1));
      assertThat(canceled.path("reason").asText())
          .as(canceled.toString())
          .isEqualTo("slow_consumer");
      long last = canceled.path("last_revision").asLong();

      // The operator sees it: one WARN line naming the client, the namespace, the watch and where
      // it stopped, and a counter in /metrics.
      List<String> lines =
          logged.list.stream()
              .filter(e -> e.getLevel() == Level.WARN)
              .map(ILoggingEvent::getFormattedMessage)
              .filter(m -> m.contains("slow_consumer"))
              .toList();
      assertThat(lines)
          .as("WARN lines about slow consumers")
          .anyMatch(
              m ->
                  m.matches("watch connection 127\\.0\\.0\\.1:\\d+ namespace default: watch 1 .*")
                      && m.contains("at last_revision " + last));
      assertThat(slowConsumerCancels())
          .as("cairn_watch_canceled_total{reason=slow_consumer}")
          .isGreaterThanOrEqualTo(1);
      List<Change> before = WatchStreams.changes(slow.messages(), WsClient.events(1));
      System.out.printf(
          "slow consumer got %d events before its cancel at last_revision %d (of %d)%n",
          before.size(), last, load.maxAckedRevision());
      assertThat(last)
          .as("last_revision in %s", canceled)
          .isGreaterThanOrEqualTo(from - 1)
          .isLessThan(load.maxAckedRevision());

      // What it got before the cancel is exactly everything up to last_revision.
      Map<Long, Change> upToLast =
          load.acked().entrySet().stream()
              .filter(e -> e.getKey() <= last)
              .collect(
                  Collectors.toMap(
                      Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
      assertThat(Follower.verify(before, upToLast, List.of()))
          .as("events before the cancel vs acknowledged changes up to last_revision %d", last)
          .isEmpty();

      // The connection is still usable: resume on it from last_revision + 1.
      assertThat(slow.isClosed()).isFalse();
      slow.send(WsClient.createPrefix(2, prefix, last + 1));
      long max = load.maxAckedRevision();
      slow.expect(
          "the resumed watch to catch up",
          Duration.ofSeconds(60),
          m -> WsClient.events(2).test(m) && m.path("revision").asLong() >= max);
      List<Change> union = new ArrayList<>(before);
      union.addAll(WatchStreams.changes(slow.messages(), WsClient.events(2)));
      assertThat(Follower.verify(union, load.acked(), List.of()))
          .as("before the cancel + after resuming vs every acknowledged change")
          .isEmpty();
    }
  }
}
