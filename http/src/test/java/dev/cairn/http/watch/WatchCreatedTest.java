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
 * {@code created} is sent once the watch is registered (with its history), before any of its
 * events, and never for a watch that is refused or whose start revision is compacted: for such a
 * watch the client gets only the {@code canceled} message. On plain and on coalesced connections.
 */
class WatchCreatedTest {
  /** Small, so that the history below takes several messages. */
  private static final int HISTORY_CHUNK = 2;

  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(Map.of("cairn.watch.history-chunk", HISTORY_CHUNK));

  private static URI plain() {
    return node.ws("/v1/watch");
  }

  private static URI coalesced() {
    return node.ws("/v1/watch?coalesce=true");
  }

  private static long put(String key, String value) {
    Resp r = node.putKey(key, value);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.revision();
  }

  @Test
  void createdComesBeforeHistoryAndLiveEventsOnAPlainConnection() {
    createdComesFirst(plain(), "cf1/");
  }

  @Test
  void createdComesBeforeHistoryAndLiveEventsOnACoalescedConnection() {
    createdComesFirst(coalesced(), "cf2/");
  }

  private void createdComesFirst(URI uri, String prefix) {
    List<Change> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      written.add(new Change(put(prefix + "h" + i, "v"), prefix + "h" + i, "PUT"));
    }
    long from = written.get(0).revision();
    try (WsClient ws = WsClient.connect(node.client(), uri)) {
      // Two watches on the same range (a group on a coalesced connection); no wait for created
      // before writing.
      ws.send(WsClient.createPrefix(1, prefix, from));
      ws.send(WsClient.createPrefix(2, prefix, from));
      for (int i = 0; i < 5; i++) {
        written.add(new Change(put(prefix + "l" + i, "v"), prefix + "l" + i, "PUT"));
      }
      long last = written.get(written.size() - 1).revision();
      for (long id = 1; id <= 2; id++) {
        long watch = id;
        ws.awaitLog(
            "watch " + id + " to reach revision " + last,
            Duration.ofSeconds(10),
            log ->
                log.stream()
                    .anyMatch(
                        m ->
                            WatchStreams.about(m, watch)
                                && m.has("events")
                                && m.path("revision").asLong() >= last));
        List<JsonNode> mine =
            ws.messages().stream().filter(m -> WatchStreams.about(m, watch)).toList();
        assertThat(mine).as("messages of watch %d", id).isNotEmpty();
        assertThat(mine.get(0).path("created").asBoolean(false))
            .as("the first message of watch %d is created: %s", id, mine)
            .isTrue();
        assertThat(mine.stream().filter(m -> m.has("created")).count())
            .as("created messages of watch %d", id)
            .isEqualTo(1);
        List<Change> seen = new ArrayList<>();
        for (JsonNode m : mine.subList(1, mine.size())) {
          assertThat(m.has("events")).as("after created, only events: %s", m).isTrue();
          seen.addAll(WatchStreams.changes(m));
        }
        assertThat(seen).as("events of watch %d", id).containsExactlyElementsOf(written);
      }
    }
  }

  @Test
  void aCompactedStartGetsOnlyCanceledOnAPlainConnection() {
    compactedStart(plain(), "cmp1/");
  }

  @Test
  void aCompactedStartGetsOnlyCanceledOnACoalescedConnection() {
    compactedStart(coalesced(), "cmp2/");
  }

  private void compactedStart(URI uri, String prefix) {
    long first = put(prefix + "a", "1");
    long compactAt = put(prefix + "b", "2");
    Resp c = node.post("/v1/compact", "{\"revision\":" + compactAt + "}");
    assertThat(c.status()).as(c.toString()).isEqualTo(200);
    try (WsClient ws = WsClient.connect(node.client(), uri)) {
      ws.send(WsClient.createPrefix(1, prefix, first));
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).as(canceled.toString()).isEqualTo("compacted");
      // A second watch on the connection, created and fed after the first was refused: a barrier
      // behind anything the refused watch could still get.
      ws.send("{\"create\":{\"watch_id\":2,\"key\":\"" + prefix + "\",\"prefix\":true}}");
      ws.expect("created 2", WsClient.created(2));
      long rev = put(prefix + "c", "3");
      ws.expect("event on 2", m -> WatchStreams.about(m, 2) && m.path("revision").asLong() == rev);
      assertThat(ws.messages().stream().filter(m -> WatchStreams.about(m, 1)).toList())
          .as("every message about the compacted watch")
          .containsExactly(canceled);
    }
  }

  @Test
  void aRefusedWatchGetsNoCreated() {
    try (WsClient ws =
        WsClient.connect(node.client(), node.ws("/v1/ns/no-such-ns/watch?coalesce=true"))) {
      ws.send("{\"create\":{\"watch_id\":1,\"key\":\"k\"}}");
      ws.expect("namespace_not_found", WsClient.error("namespace_not_found"));
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).isEqualTo("namespace_not_found");
      // A heartbeat's answer comes after anything caused by the create.
      ws.send("{\"heartbeat\":{}}");
      ws.expect("heartbeat", WsClient.has("heartbeat"));
      assertThat(ws.messages().stream().filter(m -> m.has("created")).toList())
          .as("created messages")
          .isEmpty();
    }
    try (WsClient ws = WsClient.connect(node.client(), node.ws("/v1/ns/no-such-ns/watch"))) {
      ws.send("{\"create\":{\"watch_id\":1,\"key\":\"k\"}}");
      ws.expect("canceled", WsClient.canceled(1));
      ws.send("{\"heartbeat\":{}}");
      ws.expect("heartbeat", WsClient.has("heartbeat"));
      assertThat(ws.messages().stream().filter(m -> m.has("created")).toList())
          .as("created messages")
          .isEmpty();
    }
  }
}
