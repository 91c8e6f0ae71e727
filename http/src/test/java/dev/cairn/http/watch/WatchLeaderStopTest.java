package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.actors.watch.WatchHubs;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.PoisonPill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Watches stay exact while their namespace's leader stops and starts again under them: the
 * connections stay open, writers keep writing, and every watch's stream is exactly the committed
 * changes of its range, in order, each once; a progress notification at R only ever follows every
 * acknowledged change ≤ R of that watch.
 */
@Timeout(300)
class WatchLeaderStopTest {
  private static final String PREFIX = "ls/";

  /** Every WebSocket watch: its connection, watch id and key prefix. */
  private record WsWatch(WsClient ws, long id, String prefix) {}

  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(
          Map.of(
              "cairn.watch.progress-interval", "100ms",
              // The writes stuck in a stopped leader fail fast and the writers go on.
              "cairn.namespace.ask-timeout", "2s"));

  private static ActorSelection leader() {
    return node.server().system().actorSelection("/system/sharding/namespace/*/default");
  }

  private static ActorRef leaderRef() {
    try {
      return leader()
          .resolveOne(Duration.ofSeconds(5))
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  void watchesGoOnExactlyAcrossLeaderStops() throws Exception {
    long from = node.revision() + 1;
    List<WsWatch> wsWatches = new ArrayList<>();
    List<WsClient> sockets = new ArrayList<>();
    for (String path : List.of("/v1/watch", "/v1/watch", "/v1/watch?coalesce=true")) {
      WsClient ws = WsClient.connect(node.client(), node.ws(path));
      sockets.add(ws);
      // Two watches of the whole prefix (a coalesced connection shares their messages) and one
      // of a part of it.
      wsWatches.add(new WsWatch(ws, 1, PREFIX));
      wsWatches.add(new WsWatch(ws, 2, PREFIX));
      wsWatches.add(new WsWatch(ws, 3, PREFIX + "k1"));
    }
    for (WsWatch w : wsWatches) {
      w.ws().send(WsClient.createPrefix(w.id(), w.prefix(), from));
    }
    SseClient sse =
        SseClient.open(node, "/v1/watch/" + PREFIX + "?prefix=true&start_revision=" + from);
    int watchCount = wsWatches.size() + 1;
    WatchHubs hubs = WatchHubs.get(node.server().system());
    TestServer.await(
        Duration.ofSeconds(30), "every watch registered", () -> hubs.subscriptions() == watchCount);

    WriteLoad load = new WriteLoad(node, PREFIX, 200, 8, 6_000, 11, 16);
    try {
      load.start();
      int stops = 3;
      for (int i = 0; i < stops; i++) {
        int before = load.done();
        TestServer.await(
            Duration.ofSeconds(60), "writes to go on", () -> load.done() >= before + 400);
        ActorRef old = leaderRef();
        assertThat(old).as("the leader runs").isNotNull();
        long stoppedAt = System.nanoTime();
        leader().tell(PoisonPill.getInstance(), ActorRef.noSender());
        // The writers' next requests start its successor.
        TestServer.await(
            Duration.ofSeconds(60),
            "a new leader",
            () -> {
              ActorRef now = leaderRef();
              return now != null && !now.equals(old);
            });
        // How long the watches go without a hub (reported, not asserted: the streams are).
        awaitQuietly(() -> hubs.subscriptions() == watchCount);
        System.out.printf(
            "stop %d: every watch registered with the new leader's hub after %d ms%n",
            i + 1, TestServer.millisSince(stoppedAt));
      }
      load.join(180_000);
    } finally {
      load.stop();
    }

    Map<Long, Change> acked = load.acked();
    List<Change> unknown = load.unknown();
    System.out.printf(
        "%d changes acknowledged, %d of unknown outcome%n", acked.size(), unknown.size());
    assertThat(acked.size()).isGreaterThan(3_000);

    // Waits for the streams to catch up; what is still missing then is reported below.
    awaitQuietly(
        () ->
            wsWatches.stream()
                    .allMatch(
                        w ->
                            revisions(events(w.ws().messages(), w.id()))
                                .containsAll(within(acked, w.prefix()).keySet()))
                && revisions(sseEvents(sse)).containsAll(acked.keySet()));

    for (WsWatch w : wsWatches) {
      List<JsonNode> messages = w.ws().messages();
      assertThat(messages)
          .as("watch %s is never canceled", w)
          .noneMatch(m -> m.has("canceled") && WatchStreams.about(m, w.id()));
      List<Change> seen = events(messages, w.id());
      assertThat(Follower.verify(seen, within(acked, w.prefix()), within(unknown, w.prefix())))
          .as("the stream of watch %s (%d events)", w, seen.size())
          .isEmpty();
      assertThat(progressViolations(messages, w, within(acked, w.prefix())))
          .as("progress notifications of watch %s", w)
          .isEmpty();
    }
    List<Change> sseSeen = sseEvents(sse);
    assertThat(Follower.verify(sseSeen, acked, unknown)).as("the SSE stream").isEmpty();
    assertThat(sse.ended()).as("the SSE stream stays open").isFalse();
    sockets.forEach(s -> assertThat(s.isClosed()).as("the WebSocket stays open").isFalse());
    String metrics = node.get("/metrics").text();
    // Registered at start with 0: the name alone would be there without any re-subscription.
    assertThat(metrics)
        .as("watches counted as subscribing again")
        .containsPattern("(?m)^cairn_watch_resubscribed_total(\\{[^}]*\\})? [1-9]");
    sse.close();
    sockets.forEach(WsClient::close);
  }

  private static void awaitQuietly(java.util.function.BooleanSupplier condition) {
    try {
      TestServer.await(Duration.ofSeconds(60), "the watches to catch up", condition);
    } catch (AssertionError timedOut) {
      // the checks that follow say what is missing
    }
  }

  private static Map<Long, Change> within(Map<Long, Change> changes, String prefix) {
    Map<Long, Change> out = new HashMap<>();
    changes.forEach(
        (rev, c) -> {
          if (c.key().startsWith(prefix)) {
            out.put(rev, c);
          }
        });
    return out;
  }

  private static List<Change> within(List<Change> changes, String prefix) {
    return changes.stream().filter(c -> c.key().startsWith(prefix)).toList();
  }

  /** The events of watch {@code id} in arrival order. */
  private static List<Change> events(List<JsonNode> messages, long id) {
    return WatchStreams.changes(messages, WatchStreams.eventsFor(id));
  }

  private static Set<Long> revisions(List<Change> changes) {
    Set<Long> out = new HashSet<>();
    changes.forEach(c -> out.add(c.revision()));
    return out;
  }

  private static List<Change> sseEvents(SseClient sse) {
    List<Change> out = new ArrayList<>();
    for (SseClient.Event e : sse.events()) {
      if (e.event().equals("put") || e.event().equals("delete")) {
        JsonNode kv = json(e.data());
        out.add(
            new Change(
                kv.path("mod_revision").asLong(),
                kv.path("key").asText(),
                e.event().toUpperCase(java.util.Locale.ROOT)));
      }
    }
    return out;
  }

  private static JsonNode json(String s) {
    try {
      return TestServer.JSON.readTree(s);
    } catch (Exception e) {
      throw new AssertionError(s, e);
    }
  }

  /**
   * A progress at R of a watch that had not yet been sent every acknowledged change ≤ R of its
   * range.
   */
  private static List<String> progressViolations(
      List<JsonNode> messages, WsWatch w, Map<Long, Change> acked) {
    List<String> out = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    for (JsonNode m : messages) {
      if (WatchStreams.eventsFor(w.id()).test(m)) {
        m.path("events").forEach(e -> seen.add(e.path("kv").path("mod_revision").asLong()));
      } else if (m.path("progress").asBoolean(false) && m.path("watch_id").asLong() == w.id()) {
        long r = m.path("revision").asLong();
        TreeSet<Long> missing = new TreeSet<>();
        for (long rev : acked.keySet()) {
          if (rev <= r && !seen.contains(rev)) {
            missing.add(rev);
          }
        }
        if (!missing.isEmpty()) {
          out.add(
              "progress at " + r + " before revisions " + missing.headSet(missing.first() + 50));
          if (out.size() > 5) {
            break;
          }
        }
      }
    }
    return out;
  }
}
