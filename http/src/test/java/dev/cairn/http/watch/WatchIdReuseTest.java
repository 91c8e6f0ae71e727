package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.http.watch.WriteLoad.Change;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A watch_id may be used again as soon as its watch is cancelled: the new watch gets {@code
 * created} first and then only its own range's events, never the history or live changes still on
 * their way for the cancelled watch. Cancel and re-create are sent back to back, before the first
 * watch's history has arrived.
 */
class WatchIdReuseTest {

  private static final int ROUNDS = 20;

  @RegisterExtension
  static final TestServer node = TestServer.perClass(Map.of("cairn.watch.history-chunk", 3));

  private static long put(String key) {
    Resp r = node.putKey(key, "v");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.revision();
  }

  @Test
  void aReusedIdOnAPlainConnectionGetsOnlyTheNewWatchsEvents() throws Exception {
    reuse(node.ws("/v1/watch"), "reuse1/");
  }

  @Test
  void aReusedIdOnACoalescedConnectionGetsOnlyTheNewWatchsEvents() throws Exception {
    reuse(node.ws("/v1/watch?coalesce=true"), "reuse2/");
  }

  private void reuse(URI uri, String base) throws InterruptedException {
    String old = base + "old/";
    String fresh = base + "new/";
    long from = 0;
    for (int i = 0; i < 30; i++) {
      long r = put(old + i);
      from = from == 0 ? r : from;
    }
    List<Long> freshRevisions = new ArrayList<>();
    // Writers keep the old range's watch busy with live changes, so that some are still on their
    // way from the hub when its watch is cancelled and the id reused.
    WriteLoad load = new WriteLoad(node, old, 50, 8, 3_000, 7, 16).start();
    try (WsClient ws = WsClient.connect(node.client(), uri)) {
      for (int round = 0; round < ROUNDS; round++) {
        // The first watch's history and live changes are still on their way when the watch
        // is cancelled and its id taken by a watch of another range.
        ws.send(WsClient.createPrefix(7, old, from));
        ws.send("{\"cancel\":{\"watch_id\":7}}");
        ws.send(WsClient.createPrefix(7, fresh, from));
        ws.expect("the first watch of round " + round + " cancelled", WsClient.canceled(7));
        ws.expect("the second watch of round " + round + " created", WsClient.created(7));
        freshRevisions.add(put(fresh + round));
        long last = freshRevisions.get(round);
        ws.awaitLog(
            "watch 7 to see revision " + last,
            Duration.ofSeconds(10),
            log ->
                log.stream()
                    .anyMatch(
                        m ->
                            WatchStreams.eventsFor(7).test(m)
                                && m.path("revision").asLong() >= last));
        ws.send("{\"cancel\":{\"watch_id\":7}}");
        ws.expect("the second watch of round " + round + " cancelled", WsClient.canceled(7));
      }
      // Lifetimes of id 7 alternate: a watch of the old range (which may or may not have
      // registered before its cancel), then one of the new range. Each has at most one created,
      // before any of its events, and only events of its own range.
      int lifetime = 0;
      boolean created = false;
      for (JsonNode m : ws.messages()) {
        if (!WatchStreams.about(m, 7)) {
          continue;
        }
        String range = lifetime % 2 == 0 ? old : fresh;
        if (m.path("created").asBoolean(false)) {
          assertThat(created).as("a second created in lifetime %d: %s", lifetime, m).isFalse();
          created = true;
        } else if (m.path("canceled").asBoolean(false)) {
          lifetime++;
          created = false;
        } else if (m.has("events")) {
          assertThat(created)
              .as("events before created in lifetime %d: %s", lifetime, WatchStreams.summary(m))
              .isTrue();
          for (Change c : WatchStreams.changes(m)) {
            assertThat(c.key()).as("lifetime %d: %s", lifetime, m).startsWith(range);
          }
        }
      }
      assertThat(lifetime).isEqualTo(2 * ROUNDS);
      // Each watch of the new range replays it from the start: the last saw every put to it.
      assertThat(WatchStreams.changes(ws.messages(), WatchStreams.eventsFor(7)))
          .extracting(Change::revision)
          .containsAll(freshRevisions);
    } finally {
      load.join(60_000);
    }
  }
}
