package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After compaction at C, the compaction revision itself is watchable, as it is readable (a range
 * read at C answers): a watch from C gets C's changes, including a deletion at C; a watch from C-1
 * is cancelled as compacted with compact_revision C. So a client that re-watches from
 * compact_revision, as etcd's clients do, gets on with it instead of looping.
 */
@Timeout(120)
class WatchCompactionEdgeTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  /** The deletion at the compaction revision, and a put after it. */
  private static long compactedAt;

  private static long after;

  @BeforeAll
  static void compactAtADeletion() {
    node.putKey("edge/x", "1");
    node.putKey("edge/y", "1");
    compactedAt = node.deleteKey("edge/x").revision();
    after = node.putKey("edge/y", "2").revision();
    node.post("/v1/compact", "{\"revision\":" + compactedAt + "}").ok(200);
    assertThat(node.get("/v1/kv/edge/?prefix=true&revision=" + compactedAt).status())
        .as("a range read at the compaction revision")
        .isEqualTo(200);
    assertThat(node.get("/v1/kv/edge/?prefix=true&revision=" + (compactedAt - 1)).status())
        .isEqualTo(410);
  }

  @Test
  void aWebSocketWatchFromTheCompactionRevisionGetsItsChanges() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(WsClient.createPrefix(1, "edge/", compactedAt));
      ws.expect("created", WsClient.created(1));
      ws.expect(
          "the put after the compaction",
          m ->
              WsClient.events(1).test(m)
                  && stream(m.path("events"))
                      .anyMatch(e -> e.path("kv").path("mod_revision").asLong() == after));
      List<String> events =
          ws.messages().stream()
              .filter(WsClient.events(1))
              .flatMap(m -> stream(m.path("events")))
              .map(
                  e ->
                      e.path("type").asText()
                          + " "
                          + e.path("kv").path("key").asText()
                          + " "
                          + e.path("kv").path("mod_revision").asLong())
              .toList();
      assertThat(events).containsExactly("DELETE edge/x " + compactedAt, "PUT edge/y " + after);
      assertThat(ws.messages()).noneMatch(WsClient.canceled(1));
    }
  }

  @Test
  void aWebSocketWatchFromBeforeTheCompactionRevisionIsCompactedWithIt() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(WsClient.createPrefix(1, "edge/", compactedAt - 1));
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).isEqualTo("compacted");
      assertThat(canceled.path("compact_revision").asLong()).isEqualTo(compactedAt);
      // Re-watching from compact_revision, as a client does, works.
      ws.send(WsClient.createPrefix(2, "edge/", canceled.path("compact_revision").asLong()));
      ws.expect("created", WsClient.created(2));
    }
  }

  @Test
  void anSseWatchFromTheCompactionRevisionGetsItsChanges() {
    try (SseClient sse =
        SseClient.open(node, "/v1/watch/edge/?prefix=true&start_revision=" + compactedAt)) {
      assertThat(sse.status()).isEqualTo(200);
      sse.expect(
          "the put after the compaction", Duration.ofSeconds(30), e -> e.id().equals("" + after));
      List<String> events =
          sse.events().stream()
              .filter(e -> e.event().equals("put") || e.event().equals("delete"))
              .map(e -> e.event() + " " + e.id())
              .toList();
      assertThat(events).containsExactly("delete " + compactedAt, "put " + after);
    }
  }

  @Test
  void anSseWatchFromBeforeTheCompactionRevisionIsCompactedWithIt() throws Exception {
    try (SseClient sse =
        SseClient.open(node, "/v1/watch/edge/?prefix=true&start_revision=" + (compactedAt - 1))) {
      assertThat(sse.status()).isEqualTo(200);
      SseClient.Event canceled =
          sse.expect("canceled", Duration.ofSeconds(30), e -> e.event().equals("canceled"));
      JsonNode body = TestServer.JSON.readTree(canceled.data());
      assertThat(body.path("reason").asText()).isEqualTo("compacted");
      assertThat(body.path("compact_revision").asLong()).isEqualTo(compactedAt);
      sse.awaitEnd(Duration.ofSeconds(30));
    }
  }

  private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false);
  }
}
