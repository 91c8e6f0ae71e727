package dev.cairn.http.watch;

import static dev.cairn.http.watch.WsClient.create;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The WebSocket watch protocol, message by message, against a real node. */
class WatchProtocolTest {
  /** Small, so that catching up on history takes several messages. */
  private static final int HISTORY_CHUNK = 3;

  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(Map.of("cairn.watch.history-chunk", HISTORY_CHUNK));

  /** Every event of watch {@code id} in the client's log, in order. */
  private static List<Change> eventsOf(WsClient ws, long id) {
    return WatchStreams.changes(ws.messages(), WsClient.events(id));
  }

  private static Predicate<JsonNode> eventFor(long id, String key) {
    return m ->
        WsClient.events(id).test(m)
            && WatchStreams.changes(m).stream().anyMatch(c -> c.key().equals(key));
  }

  private static long put(String key, String value) {
    Resp r = node.putKey(key, value);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.revision();
  }

  private static long delete(String key) {
    Resp r = node.deleteKey(key);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.revision();
  }

  @Test
  void malformedMessagesEachGetAnErrorAndTheConnectionStaysUsable() {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("not json", "malformed_request");
    bad.put("{\"create\":", "malformed_request");
    bad.put("[1,2]", "malformed_request");
    bad.put("42", "malformed_request");
    bad.put("{}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\"},\"progress\":{}}", "malformed_request");
    bad.put("{\"subscribe\":{\"key\":\"a\"}}", "malformed_request");
    bad.put("{\"create\":\"a\"}", "malformed_request");
    bad.put("{\"create\":{}}", "malformed_request");
    bad.put("{\"create\":{\"key\":5}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"bogus\":1}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"prefix\":\"yes\"}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"prev_kv\":1}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"start_revision\":-1}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"start_revision\":\"1\"}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"start_revision\":1.5}}", "malformed_request");
    bad.put(
        "{\"create\":{\"key\":\"a\",\"start_revision\":123456789012345678901234567890}}",
        "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"watch_id\":\"7\"}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"filters\":\"no_put\"}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"filters\":[\"bogus\"]}}", "malformed_request");
    bad.put(
        "{\"create\":{\"key\":\"a\",\"prefix\":true,\"range_end\":\"b\"}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"a\",\"range_end\":7}}", "malformed_request");
    bad.put("{\"create\":{\"key\":\"\"}}", "empty_key");
    bad.put("{\"cancel\":{}}", "malformed_request");
    bad.put("{\"cancel\":{\"watch_id\":\"x\"}}", "malformed_request");
    bad.put("{\"cancel\":{\"watch_id\":1,\"also\":2}}", "malformed_request");
    bad.put("{\"cancel\":[1]}", "malformed_request");
    bad.put("{\"progress\":{\"watch_id\":1}}", "malformed_request");
    bad.put("{\"progress\":7}", "malformed_request");
    bad.put("{\"heartbeat\":{\"at\":1}}", "malformed_request");
    bad.put("{\"heartbeat\":\"now\"}", "malformed_request");
    bad.put("{\"lease_grant\":{}}", "malformed_request");
    bad.put("{\"lease_grant\":{\"ttl\":\"5\"}}", "malformed_request");
    bad.put("{\"lease_grant\":{\"ttl\":5,\"extra\":true}}", "malformed_request");
    bad.put("{\"lease_attach\":{\"id\":0}}", "malformed_request");
    bad.put("{\"lease_revoke\":{}}", "malformed_request");
    try (WsClient ws = WsClient.connect(node)) {
      for (Map.Entry<String, String> b : bad.entrySet()) {
        ws.send(b.getKey());
        JsonNode reply = ws.expect("a reply to " + b.getKey(), m -> true);
        assertThat(reply.path("error").path("code").asText())
            .as("reply %s to %s", reply, b.getKey())
            .isEqualTo(b.getValue());
        assertThat(reply.path("error").path("detail").asText())
            .as("detail of %s", reply)
            .isNotEmpty();
      }
      // A binary frame is not a protocol message either.
      ws.sendBinary(new byte[] {1, 2, 3});
      JsonNode reply = ws.expect("a reply to a binary frame", m -> true);
      assertThat(reply.path("error").path("code").asText())
          .as(reply.toString())
          .isEqualTo("malformed_request");

      // Still usable: a watch works, and nothing else was created by the bad messages.
      ws.send(create(1, "mal/x", ""));
      ws.expect("created", WsClient.created(1));
      long rev = put("mal/x", "1");
      JsonNode ev = ws.expect("the event", WsClient.events(1));
      assertThat(WatchStreams.changes(ev)).containsExactly(new Change(rev, "mal/x", "PUT"));
      assertThat(ws.isClosed()).isFalse();
      long stray =
          ws.messages().stream()
              .filter(m -> m.has("created") || m.has("events") || m.has("canceled"))
              .filter(m -> m.path("watch_id").asLong() != 1)
              .count();
      assertThat(stray).as("watch messages caused by bad requests").isZero();
    }
  }

  @Test
  void cancelOfAnUnknownWatchIsAnErrorAndCancelOfARealOneStopsItsEvents() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send("{\"cancel\":{\"watch_id\":99}}");
      ws.expect("watch_not_found", WsClient.error("watch_not_found"));

      ws.send(create(1, "cn/a", ""));
      ws.send(create(2, "cn/barrier", ""));
      ws.expect("created 1", WsClient.created(1));
      ws.expect("created 2", WsClient.created(2));
      long r1 = put("cn/a", "1");
      ws.expect("event before cancel", eventFor(1, "cn/a"));
      ws.send("{\"cancel\":{\"watch_id\":1}}");
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).isEqualTo("canceled");
      assertThat(canceled.path("last_revision").asLong()).isEqualTo(r1);
      put("cn/a", "2");
      delete("cn/a");
      put("cn/barrier", "b");
      // The barrier watch's event comes after anything the cancelled watch could still get.
      ws.expect("barrier event", eventFor(2, "cn/barrier"));
      assertThat(eventsOf(ws, 1))
          .as("events of the cancelled watch")
          .containsExactly(new Change(r1, "cn/a", "PUT"));
      ws.send("{\"cancel\":{\"watch_id\":1}}");
      ws.expect("second cancel: watch_not_found", WsClient.error("watch_not_found"));
      // Its id can be used again.
      ws.send(create(1, "cn/a", ""));
      ws.expect("created again", WsClient.created(1));
    }
  }

  @Test
  void aWatchIdInUseIsRefusedAndTheFirstWatchGoesOn() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(5, "dup/a", ""));
      ws.expect("created", WsClient.created(5));
      ws.send(create(5, "dup/b", ""));
      ws.expect("invalid_argument", WsClient.error("invalid_argument"));
      long ra = put("dup/a", "1");
      put("dup/b", "1");
      long ra2 = put("dup/a", "2");
      ws.expect(
          "second event of the first watch",
          m -> WsClient.events(5).test(m) && m.path("revision").asLong() == ra2);
      assertThat(eventsOf(ws, 5))
          .containsExactly(new Change(ra, "dup/a", "PUT"), new Change(ra2, "dup/a", "PUT"));
    }
  }

  @Test
  void manyWatchesOnOneConnectionEachGetExactlyTheirOwnKeys() throws Exception {
    long seed = Long.getLong("cairn.test.seed", System.nanoTime());
    Random random = new Random(seed);
    try (WsClient ws = WsClient.connect(node)) {
      record W(long id, String key, String rangeEnd, String json) {}
      List<W> watches =
          List.of(
              new W(1, "mx/a/", "mx/a0", ",\"prefix\":true"),
              new W(2, "mx/b/", "mx/b0", ",\"prefix\":true"),
              new W(3, "mx/a/1", null, ""),
              new W(4, "mx/c/", "mx/c/5", ",\"range_end\":\"mx/c/5\""),
              new W(5, "mx/", "mx0", ",\"prefix\":true"),
              new W(6, "mx/d/3", null, ""),
              // range_end "\0": every key from mx/c/5 on.
              new W(7, "mx/c/5", "\uffff", ",\"range_end\":\"\\u0000\""));
      for (W w : watches) {
        ws.send(create(w.id(), w.key(), w.json()));
        ws.expect("created " + w.id(), WsClient.created(w.id()));
      }
      List<Change> all = new ArrayList<>();
      String[] groups = {"a", "b", "c", "d"};
      for (int i = 0; i < 300; i++) {
        String key = "mx/" + groups[random.nextInt(4)] + "/" + random.nextInt(10);
        if (random.nextInt(4) == 0) {
          Resp r = node.deleteKey(key);
          if (r.json().path("deleted").asLong() > 0) {
            all.add(new Change(r.revision(), key, "DELETE"));
          }
        } else {
          all.add(new Change(put(key, "v" + i), key, "PUT"));
        }
      }
      long last = all.get(all.size() - 1).revision();
      ws.expect(
          "the last event on the catch-all watch",
          Duration.ofSeconds(20),
          m -> WsClient.events(5).test(m) && m.path("revision").asLong() == last);
      for (W w : watches) {
        List<Change> expected =
            all.stream()
                .filter(
                    c ->
                        w.rangeEnd() == null
                            ? c.key().equals(w.key())
                            : c.key().compareTo(w.key()) >= 0
                                && c.key().compareTo(w.rangeEnd()) < 0)
                .toList();
        assertThat(eventsOf(ws, w.id()))
            .as("events of watch %d on %s (seed %d)", w.id(), w.key(), seed)
            .containsExactlyElementsOf(expected);
      }
    }
  }

  @Test
  void filtersDropPutsOrDeletes() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(1, "flt/k", ",\"filters\":[\"no_put\"]"));
      ws.send(create(2, "flt/k", ",\"filters\":[\"no_delete\"]"));
      ws.send(create(3, "flt/k", ",\"filters\":[\"no_put\",\"no_delete\"]"));
      ws.send(create(4, "flt/k", ""));
      for (long id = 1; id <= 4; id++) {
        ws.expect("created " + id, WsClient.created(id));
      }
      long p1 = put("flt/k", "1");
      long p2 = put("flt/k", "2");
      long d1 = delete("flt/k");
      long p3 = put("flt/k", "3");
      ws.expect(
          "last event on the unfiltered watch",
          m -> WsClient.events(4).test(m) && m.path("revision").asLong() == p3);
      assertThat(eventsOf(ws, 1)).containsExactly(new Change(d1, "flt/k", "DELETE"));
      assertThat(eventsOf(ws, 2))
          .containsExactly(
              new Change(p1, "flt/k", "PUT"),
              new Change(p2, "flt/k", "PUT"),
              new Change(p3, "flt/k", "PUT"));
      assertThat(eventsOf(ws, 3)).isEmpty();
      assertThat(eventsOf(ws, 4)).hasSize(4);
    }
  }

  @Test
  void prevKvCarriesThePreviousVersionOnlyWhenAskedFor() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(1, "pkv/k", ",\"prev_kv\":true"));
      ws.send(create(2, "pkv/k", ""));
      ws.expect("created 1", WsClient.created(1));
      ws.expect("created 2", WsClient.created(2));
      put("pkv/k", "one");
      put("pkv/k", "two");
      long d = delete("pkv/k");
      ws.expect(
          "delete on watch 2", m -> WsClient.events(2).test(m) && m.path("revision").asLong() == d);
      List<JsonNode> withPrev = new ArrayList<>();
      for (JsonNode m : ws.messages()) {
        if (WsClient.events(1).test(m)) {
          m.path("events").forEach(withPrev::add);
        }
        if (WsClient.events(2).test(m)) {
          m.path("events").forEach(e -> assertThat(e.has("prev_kv")).as(e.toString()).isFalse());
        }
      }
      assertThat(withPrev).hasSize(3);
      assertThat(withPrev.get(0).has("prev_kv")).as("a create has no previous version").isFalse();
      assertThat(withPrev.get(0).path("kv").path("value").asText()).isEqualTo("one");
      assertThat(withPrev.get(1).path("prev_kv").path("value").asText()).isEqualTo("one");
      assertThat(withPrev.get(1).path("kv").path("value").asText()).isEqualTo("two");
      assertThat(withPrev.get(2).path("type").asText()).isEqualTo("DELETE");
      assertThat(withPrev.get(2).path("prev_kv").path("value").asText()).isEqualTo("two");
      assertThat(withPrev.get(2).path("kv").path("mod_revision").asLong()).isEqualTo(d);
    }
  }

  @Test
  void progressOnRequestReportsTheCurrentRevision() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(1, "prog/k", ""));
      ws.expect("created", WsClient.created(1));
      put("prog/other", "x");
      long current = put("prog/other", "y");
      ws.send("{\"progress\":{}}");
      JsonNode p = ws.expect("progress", WsClient.progress(1));
      assertThat(p.path("revision").asLong()).as(p.toString()).isEqualTo(current);
    }
    try (WsClient ws = WsClient.connect(node)) {
      long current = put("prog/other", "z");
      ws.send("{\"progress\":{}}");
      JsonNode p = ws.expect("progress", m -> m.path("progress").asBoolean(false));
      assertThat(p.path("revision").asLong()).as(p.toString()).isEqualTo(current);
    }
  }

  @Test
  void aStartRevisionBelowTheCompactionPointIsCanceledWithCompacted() {
    List<Long> revs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      revs.add(put("cmp/" + i, "v"));
    }
    long compactAt = revs.get(2);
    Resp c = node.post("/v1/compact", "{\"revision\":" + compactAt + "}");
    assertThat(c.status()).as(c.toString()).isEqualTo(200);
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(1, "cmp/", ",\"prefix\":true,\"start_revision\":" + revs.get(1)));
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).as(canceled.toString()).isEqualTo("compacted");
      assertThat(canceled.path("compact_revision").asLong())
          .as(canceled.toString())
          .isEqualTo(compactAt);
      // Resuming after the compaction point replays what is left.
      ws.send(create(2, "cmp/", ",\"prefix\":true,\"start_revision\":" + (compactAt + 1)));
      ws.expect(
          "history", m -> WsClient.events(2).test(m) && m.path("revision").asLong() >= revs.get(4));
      assertThat(eventsOf(ws, 2))
          .containsExactly(
              new Change(revs.get(3), "cmp/3", "PUT"), new Change(revs.get(4), "cmp/4", "PUT"));
    }
  }

  @Test
  void aFutureStartRevisionWaitsForThatRevision() {
    try (WsClient ws = WsClient.connect(node)) {
      long now = node.revision();
      long from = now + 5;
      ws.send(create(1, "fut/", ",\"prefix\":true,\"start_revision\":" + from));
      ws.expect("created", WsClient.created(1));
      List<Change> written = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        written.add(new Change(put("fut/" + i, "v"), "fut/" + i, "PUT"));
      }
      long last = written.get(written.size() - 1).revision();
      ws.expect(
          "the last event", m -> WsClient.events(1).test(m) && m.path("revision").asLong() == last);
      assertThat(eventsOf(ws, 1))
          .as("events of a watch from revision %d (revision was %d when created)", from, now)
          .containsExactlyElementsOf(written.stream().filter(c -> c.revision() >= from).toList());
    }
  }

  @Test
  void catchingUpNeverSplitsARevisionAcrossMessages() {
    StringBuilder ops = new StringBuilder();
    for (int i = 0; i < 2 * HISTORY_CHUNK + 1; i++) {
      ops.append(i == 0 ? "" : ",")
          .append("{\"put\":{\"key\":\"chunk/t")
          .append(i)
          .append("\",\"value\":\"v\"}}");
    }
    long first = put("chunk/a", "1");
    Resp txn = node.post("/v1/txn", "{\"compare\":[],\"success\":[" + ops + "]}");
    assertThat(txn.status()).as(txn.toString()).isEqualTo(200);
    long txnRev = txn.revision();
    long last = put("chunk/b", "1");
    try (WsClient ws = WsClient.connect(node)) {
      ws.send(create(1, "chunk/", ",\"prefix\":true,\"start_revision\":" + first));
      ws.expect(
          "history up to the last put",
          m -> WsClient.events(1).test(m) && m.path("revision").asLong() >= last);
      List<Change> all = eventsOf(ws, 1);
      assertThat(all).hasSize(2 * HISTORY_CHUNK + 3);
      assertThat(all.stream().filter(c -> c.revision() == txnRev).count())
          .isEqualTo(2 * HISTORY_CHUNK + 1);
      // A client that resumes from a message's revision + 1 must not lose the rest of a revision.
      List<JsonNode> messages = ws.messages().stream().filter(WsClient.events(1)).toList();
      TreeSet<Long> revisionsSoFar = new TreeSet<>();
      for (JsonNode m : messages) {
        List<Change> cs = WatchStreams.changes(m);
        for (Change ch : cs) {
          assertThat(revisionsSoFar)
              .as("revision %d continues in a later message: %s", ch.revision(), messages)
              .doesNotContain(ch.revision());
        }
        cs.forEach(ch -> revisionsSoFar.add(ch.revision()));
        for (Change ch : cs) {
          assertThat(ch.revision())
              .as("event revisions are at most the message's revision in %s", m)
              .isLessThanOrEqualTo(m.path("revision").asLong());
        }
      }
    }
  }

  @Test
  void deletingTheNamespaceCancelsItsWatches() {
    assertThat(node.put("/v1/namespaces/wdel", null).status()).isIn(200, 201);
    try (WsClient ws = WsClient.connect(node.client(), node.ws("/v1/ns/wdel/watch"))) {
      ws.send(create(1, "", ",\"prefix\":true"));
      ws.expect("created", WsClient.created(1));
      Resp put = node.put("/v1/ns/wdel/kv/a", "1");
      assertThat(put.status()).as(put.toString()).isEqualTo(200);
      ws.expect("event", WsClient.events(1));
      Resp del = node.delete("/v1/namespaces/wdel?force=true");
      assertThat(del.status()).as(del.toString()).isEqualTo(200);
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).isEqualTo("namespace_deleted");
      assertThat(canceled.path("last_revision").asLong()).isEqualTo(put.revision());
    }
  }

  @Test
  void aWatchOnAMissingNamespaceIsRefused() {
    try (WsClient ws = WsClient.connect(node.client(), node.ws("/v1/ns/no-such-ns/watch"))) {
      ws.send(create(1, "k", ""));
      ws.expect("namespace_not_found", WsClient.error("namespace_not_found"));
      JsonNode canceled = ws.expect("canceled", WsClient.canceled(1));
      assertThat(canceled.path("reason").asText()).isEqualTo("namespace_not_found");
    }
  }
}
