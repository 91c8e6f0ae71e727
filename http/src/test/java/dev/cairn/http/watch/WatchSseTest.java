package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.watch.CairnNode.Resp;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/watch/{key}}: server-sent events, resumable with Last-Event-ID. */
class WatchSseTest {
  private static CairnNode node;

  @BeforeAll
  static void start() {
    node = CairnNode.start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static JsonNode json(String s) {
    try {
      return CairnNode.JSON.readTree(s);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + s, e);
    }
  }

  @Test
  void putsAndDeletesStreamAsEventsWithTheirRevisionAsId() {
    try (SseClient sse = SseClient.open(node, "/v1/watch/sse1/k")) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.contentType()).startsWith("text/event-stream");
      long p1 = node.put("sse1/k", "one").revision();
      node.put("sse1/other", "x");
      long p2 = node.put("sse1/k", "two").revision();
      long d = node.delete("sse1/k").revision();
      sse.expect("the delete", Duration.ofSeconds(10), e -> e.event().equals("delete"));
      List<SseClient.Event> events = sse.events();
      assertThat(events).extracting(SseClient.Event::event).containsExactly("put", "put", "delete");
      assertThat(events).extracting(SseClient.Event::id)
          .containsExactly(Long.toString(p1), Long.toString(p2), Long.toString(d));
      JsonNode first = json(events.get(0).data());
      assertThat(first.path("key").asText()).isEqualTo("sse1/k");
      assertThat(first.path("value").asText()).isEqualTo("one");
      assertThat(first.path("mod_revision").asLong()).isEqualTo(p1);
      JsonNode del = json(events.get(2).data());
      assertThat(del.path("key").asText()).isEqualTo("sse1/k");
      assertThat(del.path("mod_revision").asLong()).isEqualTo(d);
      assertThat(del.has("value")).as("a delete carries no value: %s", del).isFalse();
    }
  }

  @Test
  void resumingWithLastEventIdUnderConcurrentWritesLosesAndRepeatsNothing() throws Exception {
    long seed = Long.getLong("cairn.test.seed", System.nanoTime());
    try {
      resume(new Random(seed));
    } catch (Throwable t) {
      System.out.println("SSE resume failed with -Dcairn.test.seed=" + seed);
      throw new AssertionError("failed with -Dcairn.test.seed=" + seed + ": " + t.getMessage(), t);
    }
  }

  private void resume(Random random) throws Exception {
    String prefix = "sse2/";
    int ops = 2_000;
    List<Integer> drops = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      drops.add(100 + random.nextInt(ops / 2));
    }
    drops.sort(null);
    long from = node.revision() + 1;
    WriteLoad load = new WriteLoad(node, prefix, 100, 4, ops, random.nextLong(), 16);
    List<Change> seen = new ArrayList<>();
    String path = "/v1/watch/" + prefix + "?prefix=true";
    SseClient sse = SseClient.open(node, path + "&start_revision=" + from);
    int connections = 1;
    load.start();
    try {
      int consumed = 0;
      String[] lastId = {null};
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (true) {
        sse.awaitMore(consumed, Duration.ofMillis(200));
        consumed = take(sse, consumed, seen, lastId);
        if (!drops.isEmpty() && seen.size() >= drops.get(0)) {
          drops.remove(0);
          sse.close();
          sse.awaitEnd(Duration.ofSeconds(10));
          // Keep whatever arrived before the drop, then resume after the last id seen.
          take(sse, consumed, seen, lastId);
          sse = SseClient.open(node, path, "Last-Event-ID", lastId[0]);
          assertThat(sse.status()).isEqualTo(200);
          consumed = 0;
          connections++;
          continue;
        }
        if (load.done() >= ops && seen.stream().map(Change::revision).toList()
            .containsAll(load.acked().keySet())) {
          break;
        }
        assertThat(sse.ended()).as("the stream ended by itself").isFalse();
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("timed out; seen " + seen.size() + " of " + load.acked().size());
        }
      }
      load.join(10_000);
      assertThat(Follower.verify(seen, load.acked(), List.of()))
          .as("%d events over %d connections for %d acknowledged changes", seen.size(), connections,
              load.acked().size())
          .isEmpty();
      assertThat(connections).isEqualTo(4);
    } finally {
      sse.close();
    }
  }

  /** Records the events from index {@code from} on; returns the new count. */
  private static int take(SseClient sse, int from, List<Change> seen, String[] lastId) {
    List<SseClient.Event> events = sse.events();
    for (int i = from; i < events.size(); i++) {
      SseClient.Event e = events.get(i);
      if (e.event().equals("progress")) {
        continue;
      }
      assertThat(e.event()).as("event %s", e).isIn("put", "delete");
      JsonNode kv = json(e.data());
      long rev = kv.path("mod_revision").asLong();
      assertThat(e.id()).isEqualTo(Long.toString(rev));
      seen.add(new Change(rev, kv.path("key").asText(), e.event().toUpperCase(Locale.ROOT)));
      lastId[0] = e.id();
    }
    return events.size();
  }

  @Test
  void aCompactedStartEndsTheStreamWithACanceledEvent() {
    long r1 = node.put("sse3/a", "1").revision();
    long r2 = node.put("sse3/a", "2").revision();
    Resp c = node.send("POST", "/v1/compact", "{\"revision\":" + r2 + "}");
    assertThat(c.status()).as(c.toString()).isEqualTo(200);
    try (SseClient sse = SseClient.open(node, "/v1/watch/sse3/a?start_revision=" + r1)) {
      assertThat(sse.status()).isEqualTo(200);
      SseClient.Event canceled = sse.expect("canceled", Duration.ofSeconds(10),
          e -> e.event().equals("canceled"));
      JsonNode body = json(canceled.data());
      assertThat(body.path("reason").asText()).isEqualTo("compacted");
      assertThat(body.path("compact_revision").asLong()).isEqualTo(r2);
      sse.awaitEnd(Duration.ofSeconds(10));
    }
  }

  @Test
  void aMalformedLastEventIdIsRefused() {
    SseClient sse = SseClient.open(node, "/v1/watch/sse4/a", "Last-Event-ID", "yesterday");
    assertThat(sse.status()).isEqualTo(400);
    assertThat(sse.contentType()).startsWith("application/problem+json");
    assertThat(json(sse.errorBody()).path("code").asText()).isEqualTo("malformed_request");
    SseClient neg = SseClient.open(node, "/v1/watch/sse4/a?start_revision=-3");
    assertThat(neg.status()).isEqualTo(400);
  }

  @Test
  void aWatchOnAMissingNamespaceEndsWithAnError() {
    try (SseClient sse = SseClient.open(node, "/v1/ns/no-such-ns/watch/k")) {
      assertThat(sse.status()).isEqualTo(200);
      SseClient.Event error = sse.expect("error", Duration.ofSeconds(10), e -> e.event().equals("error"));
      assertThat(json(error.data()).path("code").asText()).isEqualTo("namespace_not_found");
      sse.awaitEnd(Duration.ofSeconds(10));
    }
  }
}
