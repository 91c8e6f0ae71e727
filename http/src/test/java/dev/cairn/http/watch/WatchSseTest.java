package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /v1/watch/{key}}: server-sent events, resumable with Last-Event-ID. */
class WatchSseTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static JsonNode json(String s) {
    try {
      return TestServer.JSON.readTree(s);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + s, e);
    }
  }

  @Test
  void putsAndDeletesStreamAsEventsWithTheirRevisionAsId() {
    try (SseClient sse = SseClient.open(node, "/v1/watch/sse1/k")) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.contentType()).startsWith("text/event-stream");
      long p1 = node.putKey("sse1/k", "one").revision();
      node.putKey("sse1/other", "x");
      long p2 = node.putKey("sse1/k", "two").revision();
      long d = node.deleteKey("sse1/k").revision();
      sse.expect("the delete", Duration.ofSeconds(10), e -> e.event().equals("delete"));
      List<SseClient.Event> events = sse.events();
      assertThat(events).extracting(SseClient.Event::event).containsExactly("put", "put", "delete");
      assertThat(events)
          .extracting(SseClient.Event::id)
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
    WatchExactnessTest.seeded("SSE resume", this::resume);
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
        if (load.done() >= ops
            && seen.stream().map(Change::revision).toList().containsAll(load.acked().keySet())) {
          break;
        }
        assertThat(sse.ended()).as("the stream ended by itself").isFalse();
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("timed out; seen " + seen.size() + " of " + load.acked().size());
        }
      }
      load.join(10_000);
      assertThat(Follower.verify(seen, load.acked(), List.of()))
          .as(
              "%d events over %d connections for %d acknowledged changes",
              seen.size(), connections, load.acked().size())
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

  /** Puts {@code keys} in one transaction; returns its revision. */
  private static long putAll(String... keys) {
    StringBuilder ops = new StringBuilder();
    for (String k : keys) {
      ops.append(ops.length() == 0 ? "" : ",")
          .append("{\"put\":{\"key\":\"")
          .append(k)
          .append("\",\"value\":\"v\"}}");
    }
    Resp txn = node.post("/v1/txn", "{\"compare\":[],\"success\":[" + ops + "]}");
    assertThat(txn.status()).as(txn.toString()).isEqualTo(200);
    return txn.revision();
  }

  /** The events (no progress) once one has id {@code lastId}. */
  private static List<SseClient.Event> eventsUpTo(SseClient sse, String lastId) {
    sse.expect("id " + lastId, Duration.ofSeconds(10), e -> lastId.equals(e.id()));
    return sse.events().stream().filter(e -> !e.event().equals("progress")).toList();
  }

  private static List<String> ids(List<SseClient.Event> events) {
    return events.stream().map(SseClient.Event::id).toList();
  }

  private static List<String> keys(List<SseClient.Event> events) {
    return events.stream().map(e -> json(e.data()).path("key").asText()).toList();
  }

  @Test
  void eventsOfOneRevisionAreNumberedAndItsLastCarriesThePlainRevision() {
    long from = node.revision() + 1;
    String path = "/v1/watch/sse5/?prefix=true&start_revision=" + from;
    long txn;
    long single;
    long del;
    List<SseClient.Event> live;
    try (SseClient sse = SseClient.open(node, path)) {
      assertThat(sse.status()).isEqualTo(200);
      // Once the marker arrives the watch is registered: what follows comes live.
      long marker = node.putKey("sse5/0", "v").revision();
      eventsUpTo(sse, Long.toString(marker));
      txn = putAll("sse5/a", "sse5/b", "sse5/c");
      single = node.putKey("sse5/d", "v").revision();
      Resp d = node.delete("/v1/kv/sse5/?prefix=true");
      assertThat(d.status()).as(d.toString()).isEqualTo(200);
      del = d.revision();
      live = eventsUpTo(sse, Long.toString(del));
      assertThat(ids(live))
          .containsExactly(
              Long.toString(marker),
              txn + ".1",
              txn + ".2",
              Long.toString(txn),
              Long.toString(single),
              del + ".1",
              del + ".2",
              del + ".3",
              del + ".4",
              Long.toString(del));
    }
    assertThat(keys(live))
        .containsExactly(
            "sse5/0", "sse5/a", "sse5/b", "sse5/c", "sse5/d", "sse5/0", "sse5/a", "sse5/b",
            "sse5/c", "sse5/d");
    assertThat(live)
        .extracting(SseClient.Event::event)
        .containsExactly(
            "put", "put", "put", "put", "put", "delete", "delete", "delete", "delete", "delete");

    // Replayed from history, the same revisions get the same ids.
    try (SseClient replay = SseClient.open(node, path)) {
      assertThat(replay.status()).isEqualTo(200);
      assertThat(eventsUpTo(replay, Long.toString(del))).isEqualTo(live);
    }
  }

  @Test
  void lastEventIdWithinARevisionResumesAfterThatEventOfIt() {
    long txn = putAll("sse6/a", "sse6/b", "sse6/c");
    String path = "/v1/watch/sse6/?prefix=true";

    // Last-Event-ID overrides start_revision, as for a plain revision.
    try (SseClient sse =
        SseClient.open(node, path + "&start_revision=1", "Last-Event-ID", txn + ".1")) {
      assertThat(sse.status()).isEqualTo(200);
      List<SseClient.Event> replayed = eventsUpTo(sse, Long.toString(txn));
      assertThat(ids(replayed)).containsExactly(txn + ".2", Long.toString(txn));
      assertThat(keys(replayed)).containsExactly("sse6/b", "sse6/c");
      long later = node.putKey("sse6/d", "v").revision();
      List<SseClient.Event> all = eventsUpTo(sse, Long.toString(later));
      assertThat(ids(all)).containsExactly(txn + ".2", Long.toString(txn), Long.toString(later));
      assertThat(keys(all)).containsExactly("sse6/b", "sse6/c", "sse6/d");
    }
    long next = node.putKey("sse6/e", "v").revision();
    // Revision txn is complete: nothing of it again.
    try (SseClient sse = SseClient.open(node, path, "Last-Event-ID", Long.toString(txn))) {
      List<SseClient.Event> events = eventsUpTo(sse, Long.toString(next));
      assertThat(keys(events)).containsExactly("sse6/d", "sse6/e");
    }
    // Positions past the revision's events on this stream: the client has all of it.
    try (SseClient sse =
        SseClient.open(node, path + "&start_revision=1", "Last-Event-ID", txn + ".7")) {
      List<SseClient.Event> events = eventsUpTo(sse, Long.toString(next));
      assertThat(keys(events)).containsExactly("sse6/d", "sse6/e");
    }
  }

  @Test
  void aResumeThatSkipsEveryEventOfTheLatestRevisionSendsNothingUntilTheNextChange() {
    long txn = putAll("sse8/a", "sse8/b");
    // Its ids were txn.1 and txn; a position past the revision's events skips all of it.
    try (SseClient sse =
        SseClient.open(node, "/v1/watch/sse8/?prefix=true", "Last-Event-ID", txn + ".2")) {
      assertThat(sse.status()).isEqualTo(200);
      long later = node.putKey("sse8/c", "v").revision();
      List<SseClient.Event> events = eventsUpTo(sse, Long.toString(later));
      assertThat(keys(events)).containsExactly("sse8/c");
      assertThat(sse.ended()).isFalse();
    }
  }

  @Test
  void aStreamNumbersOnlyTheEventsOfARevisionItSees() {
    long from = node.revision() + 1;
    try (SseClient narrow =
            SseClient.open(node, "/v1/watch/sse7/x/?prefix=true&start_revision=" + from);
        SseClient wide =
            SseClient.open(node, "/v1/watch/sse7/?prefix=true&start_revision=" + from)) {
      long txn = putAll("sse7/x/a", "sse7/x/b", "sse7/y");
      String r = Long.toString(txn);
      List<SseClient.Event> seen = eventsUpTo(narrow, r);
      assertThat(ids(seen)).containsExactly(txn + ".1", r);
      assertThat(keys(seen)).containsExactly("sse7/x/a", "sse7/x/b");
      assertThat(ids(eventsUpTo(wide, r))).containsExactly(txn + ".1", txn + ".2", r);
      try (SseClient resumed =
          SseClient.open(node, "/v1/watch/sse7/x/?prefix=true", "Last-Event-ID", txn + ".1")) {
        List<SseClient.Event> rest = eventsUpTo(resumed, r);
        assertThat(ids(rest)).containsExactly(r);
        assertThat(keys(rest)).containsExactly("sse7/x/b");
      }
    }
  }

  @Test
  void aLeaseEndingWithSeveralKeysNumbersTheirDeletes() {
    long from = node.revision() + 1;
    long lease = node.grant(60);
    assertThat(node.putKey("sse9/a", "v", lease).status()).isEqualTo(200);
    assertThat(node.putKey("sse9/b", "v", lease).status()).isEqualTo(200);
    Resp revoke = node.revoke(lease);
    assertThat(revoke.status()).as(revoke.toString()).isEqualTo(200);
    long r = revoke.revision();
    try (SseClient sse =
        SseClient.open(node, "/v1/watch/sse9/?prefix=true&start_revision=" + from)) {
      List<SseClient.Event> events = eventsUpTo(sse, Long.toString(r));
      assertThat(events.subList(2, 4))
          .extracting(SseClient.Event::event)
          .containsExactly("delete", "delete");
      assertThat(ids(events.subList(2, 4))).containsExactly(r + ".1", Long.toString(r));
      assertThat(keys(events.subList(2, 4))).containsExactly("sse9/a", "sse9/b");
    }
  }

  private static WatchEvent put(String key, long revision) {
    return new WatchEvent(
        WatchEvent.Type.PUT, new KeyValue(key, Bytes.utf8("v"), revision, revision, 1, 0), null);
  }

  private static List<String> encodedIds(SseEncoder encoder, WatchEvent... events) {
    ByteString out =
        encoder.events(
            0, events[events.length - 1].revision(), List.of(events), false, new Encoder.Cache());
    if (out == null) {
      return null;
    }
    return out.utf8String()
        .lines()
        .filter(l -> l.startsWith("id: "))
        .map(l -> l.substring(4))
        .toList();
  }

  @Test
  void theEncoderNumbersEachRevisionOfAMessageAndSkipsOnlyWithinTheResumedOne() {
    SseEncoder plain = new SseEncoder(10, 0);
    assertThat(encodedIds(plain, put("a", 10), put("a", 11), put("b", 11), put("a", 12)))
        .containsExactly("10", "11.1", "11", "12");

    SseEncoder resumed = new SseEncoder(11, 1);
    assertThat(
            encodedIds(
                resumed, put("a", 11), put("b", 11), put("c", 11), put("a", 12), put("b", 12)))
        .containsExactly("11.2", "11", "12.1", "12");
    // The skip applies once: the same revision again (it never is) would be sent whole.
    assertThat(encodedIds(resumed, put("a", 11), put("b", 11))).containsExactly("11.1", "11");

    // The client has every event of the message: nothing to send, and the skip is spent.
    SseEncoder all = new SseEncoder(11, 5);
    assertThat(encodedIds(all, put("a", 11), put("b", 11))).isNull();
    assertThat(encodedIds(all, put("a", 12))).containsExactly("12");

    // Resuming within a revision the stream has nothing of: later revisions come whole.
    SseEncoder none = new SseEncoder(11, 1);
    assertThat(encodedIds(none, put("a", 13), put("b", 13))).containsExactly("13.1", "13");
  }

  @Test
  void aCompactedStartEndsTheStreamWithACanceledEvent() {
    long r1 = node.putKey("sse3/a", "1").revision();
    long r2 = node.putKey("sse3/a", "2").revision();
    Resp c = node.post("/v1/compact", "{\"revision\":" + r2 + "}");
    assertThat(c.status()).as(c.toString()).isEqualTo(200);
    try (SseClient sse = SseClient.open(node, "/v1/watch/sse3/a?start_revision=" + r1)) {
      assertThat(sse.status()).isEqualTo(200);
      SseClient.Event canceled =
          sse.expect("canceled", Duration.ofSeconds(10), e -> e.event().equals("canceled"));
      JsonNode body = json(canceled.data());
      assertThat(body.path("reason").asText()).isEqualTo("compacted");
      assertThat(body.path("compact_revision").asLong()).isEqualTo(r2);
      sse.awaitEnd(Duration.ofSeconds(10));
    }
  }

  @Test
  void aMalformedLastEventIdIsRefused() {
    for (String id :
        List.of(
            "yesterday",
            "5.0",
            "5.",
            ".1",
            "5.x",
            "-5",
            "-1",
            "5.-1",
            "5.1.2",
            "0.1",
            "+5",
            "5 .1",
            "99999999999999999999",
            "9223372036854775807")) {
      SseClient sse = SseClient.open(node, "/v1/watch/sse4/a", "Last-Event-ID", id);
      assertThat(sse.status()).as("Last-Event-ID: %s", id).isEqualTo(400);
      assertThat(sse.contentType()).startsWith("application/problem+json");
      assertThat(json(sse.errorBody()).path("code").asText()).isEqualTo("malformed_request");
    }
    SseClient neg = SseClient.open(node, "/v1/watch/sse4/a?start_revision=-3");
    assertThat(neg.status()).isEqualTo(400);
  }

  @Test
  void aWatchOnAMissingNamespaceEndsWithAnError() {
    try (SseClient sse = SseClient.open(node, "/v1/ns/no-such-ns/watch/k")) {
      assertThat(sse.status()).isEqualTo(200);
      SseClient.Event error =
          sse.expect("error", Duration.ofSeconds(10), e -> e.event().equals("error"));
      assertThat(json(error.data()).path("code").asText()).isEqualTo("namespace_not_found");
      sse.awaitEnd(Duration.ofSeconds(10));
    }
  }
}
