package dev.cairn.http.watch;

import static dev.cairn.http.watch.WsClient.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.http.watch.WriteLoad.Change;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /v1/watch?coalesce=true}: watches that get the same events of a revision share one
 * message ({@code watch_ids}); every watch still gets exactly its own events, once, in order; a
 * cancelled watch gets nothing after its {@code canceled} message. Randomized; the seed is printed
 * on failure and can be fixed with {@code -Dcairn.test.seed=N}.
 */
class WatchCoalesceTest {
  // A small socket queue, so that messages are held back in the connection's FIFO whenever the
  // client lags a little; limits so high that nothing is cancelled for being slow here.
  @RegisterExtension
  static final TestServer node = TestServer.perClass(WsClient.heldBackLimits(1_000_000, "1GiB"));

  private static URI coalesced() {
    return node.ws("/v1/watch?coalesce=true");
  }

  private static void seeded(String test, WatchExactnessTest.Body body) throws Exception {
    WatchExactnessTest.seeded(test, body);
  }

  @Test
  void everyWatchGetsEveryConcurrentChangeOnceInOrderFromGroupMessages() throws Exception {
    seeded(
        "coalesced exactly-once",
        random -> {
          String prefix = "cg/";
          int n = 6;
          try (WsClient ws = WsClient.connect(node.client(), coalesced())) {
            long from = node.revision() + 1;
            for (long id = 1; id <= n; id++) {
              ws.send(create(id, prefix, ",\"prefix\":true,\"start_revision\":" + from));
            }
            for (long id = 1; id <= n; id++) {
              ws.expect("created " + id, WsClient.created(id));
            }
            WriteLoad load = new WriteLoad(node, prefix, 200, 8, 3_000, random.nextLong(), 16);
            load.start().join(120_000);
            long max = load.maxAckedRevision();
            TestServer.await(
                Duration.ofSeconds(60),
                "every watch to reach revision " + max,
                () -> {
                  List<JsonNode> log = ws.messages();
                  return LongStream.rangeClosed(1, n)
                      .allMatch(id -> WatchStreams.lastRevision(log, id) >= max);
                });
            List<JsonNode> log = ws.messages();
            for (long id = 1; id <= n; id++) {
              assertThat(Follower.verify(WatchStreams.events(log, id), load.acked(), List.of()))
                  .as("events of watch %d vs %d acknowledged changes", id, load.acked().size())
                  .isEmpty();
            }
            // The watches see the same changes: every revision is one message naming all of them.
            List<JsonNode> eventMessages = log.stream().filter(m -> m.has("events")).toList();
            List<Long> all = LongStream.rangeClosed(1, n).boxed().toList();
            for (JsonNode m : eventMessages) {
              assertThat(WatchStreams.isGroup(m)).as("a group message: %s", m).isTrue();
              assertThat(WatchStreams.ids(m))
                  .as("ids of %s", m)
                  .containsExactlyInAnyOrderElementsOf(all);
            }
            assertThat(eventMessages)
                .as("one message per acknowledged revision")
                .hasSize(load.acked().size());
            System.out.printf(
                "%d watches, %d revisions, %d messages%n",
                n, load.acked().size(), eventMessages.size());
          }
        });
  }

  /** One change in the mixed-filter test, with the key's value before it (null: none). */
  private record Ev(long revision, String key, String type, String value, String prev) {}

  private record W(
      long id,
      String key,
      boolean prefix,
      boolean noPut,
      boolean noDelete,
      boolean prevKv,
      long start,
      String json) {
    boolean sees(Ev e) {
      boolean inRange = prefix ? e.key().startsWith(key) : e.key().equals(key);
      boolean put = e.type().equals("PUT");
      return inRange && e.revision() >= start && !(put && noPut) && !(!put && noDelete);
    }
  }

  @Test
  void watchesWithDifferentFiltersOnOneConnectionEachGetExactlyTheirEvents() throws Exception {
    seeded(
        "coalesced filters",
        random -> {
          String p = "mf/";
          long now = node.revision();
          long future = now + 40;
          List<W> watches =
              List.of(
                  new W(1, p, true, false, false, false, 0, ",\"prefix\":true"),
                  new W(2, p, true, false, false, false, 0, ",\"prefix\":true"),
                  new W(3, p, true, false, false, false, 0, ",\"prefix\":true"),
                  new W(
                      4,
                      p,
                      true,
                      false,
                      true,
                      false,
                      0,
                      ",\"prefix\":true,\"filters\":[\"no_delete\"]"),
                  new W(5, p, true, true, false, false, 0, ",\"prefix\":true,\"no_put\":true"),
                  new W(6, p, true, false, false, true, 0, ",\"prefix\":true,\"prev_kv\":true"),
                  new W(7, p, true, false, false, true, 0, ",\"prefix\":true,\"prev_kv\":true"),
                  new W(8, p + "k1", false, false, false, false, 0, ""),
                  new W(9, p + "k1", false, false, false, true, 0, ",\"prev_kv\":true"),
                  new W(
                      10,
                      p,
                      true,
                      false,
                      false,
                      false,
                      future,
                      ",\"prefix\":true,\"start_revision\":" + future));
          try (WsClient ws = WsClient.connect(node.client(), coalesced())) {
            for (W w : watches) {
              ws.send(create(w.id(), w.key(), w.json()));
            }
            for (W w : watches) {
              ws.expect("created " + w.id(), WsClient.created(w.id()));
            }
            List<Ev> ledger = new ArrayList<>();
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < 200; i++) {
              int kind = random.nextInt(20);
              if (kind < 12) {
                String k = p + "k" + random.nextInt(5);
                String v = "v" + i;
                Resp r = node.putKey(k, v);
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
                ledger.add(new Ev(r.revision(), k, "PUT", v, values.put(k, v)));
              } else if (kind < 15) {
                String k = p + "k" + random.nextInt(5);
                Resp r = node.deleteKey(k);
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
                if (values.containsKey(k)) {
                  ledger.add(new Ev(r.revision(), k, "DELETE", null, values.remove(k)));
                }
              } else {
                // A transaction over two or three keys: a key watch sees only part of the revision.
                List<Integer> keys = new ArrayList<>(List.of(0, 1, 2, 3, 4));
                java.util.Collections.shuffle(keys, random);
                int ops = 2 + random.nextInt(2);
                StringBuilder body = new StringBuilder("{\"compare\":[],\"success\":[");
                List<Ev> pending = new ArrayList<>();
                for (int o = 0; o < ops; o++) {
                  String k = p + "k" + keys.get(o);
                  body.append(o == 0 ? "" : ",");
                  if (random.nextInt(3) == 0) {
                    body.append("{\"delete\":{\"key\":\"").append(k).append("\"}}");
                    if (values.containsKey(k)) {
                      pending.add(new Ev(0, k, "DELETE", null, values.remove(k)));
                    }
                  } else {
                    String v = "t" + i + "-" + o;
                    body.append("{\"put\":{\"key\":\"")
                        .append(k)
                        .append("\",\"value\":\"")
                        .append(v)
                        .append("\"}}");
                    pending.add(new Ev(0, k, "PUT", v, values.put(k, v)));
                  }
                }
                Resp r = node.post("/v1/txn", body.append("]}").toString());
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
                for (Ev e : pending) {
                  ledger.add(new Ev(r.revision(), e.key(), e.type(), e.value(), e.prev()));
                }
              }
            }
            // A plain put of the key watches' key last: every watch but the no_put one sees it, and
            // the key watches share its message with the prefix watches.
            String v = "last";
            Resp r = node.putKey(p + "k1", v);
            ledger.add(new Ev(r.revision(), p + "k1", "PUT", v, values.put(p + "k1", v)));
            long last = r.revision();
            assertThat(last).as("writes reach the future start revision").isGreaterThan(future);
            // Every message of the connection is in order, but the messages of one revision go out
            // one watch (or group) after another: wait for each watch that sees the last put.
            Ev lastPut = ledger.get(ledger.size() - 1);
            List<Long> seeLast = watches.stream().filter(w -> w.sees(lastPut)).map(W::id).toList();
            TestServer.await(
                Duration.ofSeconds(20),
                "the last revision " + last + " on watches " + seeLast,
                () -> {
                  List<JsonNode> sofar = ws.messages();
                  return seeLast.stream()
                      .allMatch(id -> WatchStreams.lastRevision(sofar, id) >= last);
                });
            List<JsonNode> log = ws.messages();

            Comparator<Change> byRevisionThenKey =
                Comparator.comparingLong(Change::revision).thenComparing(Change::key);
            for (W w : watches) {
              List<Ev> expectedEvs = ledger.stream().filter(w::sees).toList();
              List<Change> expected =
                  new ArrayList<>(
                      expectedEvs.stream()
                          .map(e -> new Change(e.revision(), e.key(), e.type()))
                          .toList());
              List<Change> got = WatchStreams.events(log, w.id());
              for (int i = 1; i < got.size(); i++) {
                assertThat(got.get(i).revision())
                    .as("revision order of watch %d", w.id())
                    .isGreaterThanOrEqualTo(got.get(i - 1).revision());
              }
              List<Change> gotSorted = new ArrayList<>(got);
              gotSorted.sort(byRevisionThenKey);
              expected.sort(byRevisionThenKey);
              assertThat(gotSorted)
                  .as("events of watch %d (%s)", w.id(), w.json())
                  .containsExactlyElementsOf(expected);
              // prev_kv: exactly the previous value, and only on the watches that asked for it.
              Map<String, String> prevOf = new HashMap<>();
              expectedEvs.forEach(e -> prevOf.put(e.revision() + " " + e.key(), e.prev()));
              for (JsonNode m : log) {
                if (!WatchStreams.eventsFor(w.id()).test(m)) {
                  continue;
                }
                for (JsonNode e : m.path("events")) {
                  String id =
                      e.path("kv").path("mod_revision").asLong()
                          + " "
                          + e.path("kv").path("key").asText();
                  if (w.prevKv() && prevOf.get(id) != null) {
                    assertThat(e.path("prev_kv").path("value").asText())
                        .as("prev_kv of %s on watch %d", e, w.id())
                        .isEqualTo(prevOf.get(id));
                  } else {
                    assertThat(e.has("prev_kv"))
                        .as("prev_kv of %s on watch %d", e, w.id())
                        .isFalse();
                  }
                }
              }
            }

            // Grouping: same events (identity) and same prev_kv flag share a message; a filtered
            // watch's events are its own.
            List<List<Long>> groups =
                log.stream()
                    .filter(m -> m.has("events") && WatchStreams.isGroup(m))
                    .map(m -> WatchStreams.ids(m).stream().sorted().toList())
                    .toList();
            assertThat(groups).as("group messages").isNotEmpty();
            for (List<Long> g : groups) {
              assertThat(g).as("group %s", g).hasSizeGreaterThan(1).doesNotContain(4L, 5L);
              boolean withPrev = g.contains(6L) || g.contains(7L) || g.contains(9L);
              if (withPrev) {
                assertThat(g).as("group %s", g).isSubsetOf(6L, 7L, 9L);
              } else {
                assertThat(g).as("group %s", g).isSubsetOf(1L, 2L, 3L, 8L, 10L);
              }
            }
            assertThat(groups)
                .as("group messages")
                .contains(List.of(1L, 2L, 3L, 8L, 10L), List.of(6L, 7L, 9L));
            assertThat(groups)
                .as("groups before watch 10's start revision")
                .contains(List.of(1L, 2L, 3L), List.of(6L, 7L));
          }
        });
  }

  @Test
  void aCancelledWatchGetsNothingAfterItsCanceledMessageEvenWithMessagesHeldBack()
      throws Exception {
    seeded(
        "coalesced cancel",
        random -> {
          String prefix = "cc/";
          try (WsClient ws = WsClient.connect(node.client(), coalesced())) {
            long from = node.revision() + 1;
            for (long id = 1; id <= 3; id++) {
              ws.send(create(id, prefix, ",\"prefix\":true,\"start_revision\":" + from));
            }
            for (long id = 1; id <= 3; id++) {
              ws.expect("created " + id, WsClient.created(id));
            }
            // Stop reading while ~13 MB of changes come: more than the socket and its buffers hold,
            // so the connection holds messages naming watch 1 back when the cancel arrives.
            ws.pause();
            WriteLoad before =
                new WriteLoad(node, prefix, 50, 4, 400, random.nextLong(), 32 * 1024);
            before.start().join(120_000);
            int sizeAtCancel = ws.size();
            ws.send("{\"cancel\":{\"watch_id\":1}}");
            WriteLoad after = new WriteLoad(node, prefix, 50, 4, 100, random.nextLong(), 16);
            after.start().join(60_000);
            ws.resume();
            long max = after.maxAckedRevision();
            TestServer.await(
                Duration.ofSeconds(60),
                "watches 2 and 3 to reach revision " + max,
                () -> {
                  List<JsonNode> log = ws.messages();
                  return WatchStreams.lastRevision(log, 2) >= max
                      && WatchStreams.lastRevision(log, 3) >= max;
                });
            List<JsonNode> log = ws.messages();
            JsonNode canceled =
                log.stream()
                    .filter(WsClient.canceled(1))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no canceled message for watch 1"));
            assertThat(canceled.path("reason").asText())
                .as(canceled.toString())
                .isEqualTo("canceled");
            assertThat(
                    WatchStreams.afterCanceled(log, 1).stream().map(WatchStreams::summary).toList())
                .as("messages about watch 1 after %s", canceled)
                .isEmpty();
            Map<Long, Change> acked = new TreeMap<>(before.acked());
            acked.putAll(after.acked());
            long last = canceled.path("last_revision").asLong();
            List<Change> events1 = WatchStreams.events(log, 1);
            System.out.printf(
                "watch 1: %d events (%d of them after the client stopped reading at message"
                    + " %d), cancelled at last_revision %d of %d%n",
                events1.size(),
                WatchStreams.events(log.subList(sizeAtCancel, log.size()), 1).size(),
                sizeAtCancel,
                last,
                max);
            assertThat(events1).as("events of watch 1").isNotEmpty();
            assertThat(last)
                .as("last_revision in %s: the last event watch 1 got", canceled)
                .isEqualTo(events1.get(events1.size() - 1).revision());
            assertThat(
                    Follower.verify(events1, WatchStreams.upTo(acked, last, c -> true), List.of()))
                .as("events of watch 1 vs acknowledged changes up to its last_revision %d", last)
                .isEmpty();
            for (long id = 2; id <= 3; id++) {
              assertThat(Follower.verify(WatchStreams.events(log, id), acked, List.of()))
                  .as("events of watch %d", id)
                  .isEmpty();
            }
            // After the cancel the other two still share their messages.
            int at = log.indexOf(canceled);
            List<JsonNode> later =
                log.subList(at, log.size()).stream().filter(m -> m.has("events")).toList();
            assertThat(later).as("events messages after the cancel").isNotEmpty();
            for (JsonNode m : later) {
              assertThat(WatchStreams.ids(m))
                  .as("ids of %s", WatchStreams.summary(m))
                  .containsExactlyInAnyOrder(2L, 3L);
            }
          }
        });
  }

  @Test
  void theCoalesceParameterIsTrueOrFalse() {
    Resp bad = node.get("/v1/watch?coalesce=yes");
    assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
    assertThat(bad.contentType()).as(bad.toString()).startsWith("application/problem+json");
    assertThat(bad.code()).as(bad.toString()).isEqualTo("malformed_request");
    assertThat(bad.json().path("detail").asText()).as(bad.toString()).contains("coalesce");
    try {
      WsClient ws = WsClient.connect(node.client(), node.ws("/v1/watch?coalesce=yes"));
      ws.close();
      fail("a WebSocket with coalesce=yes was accepted");
    } catch (IllegalStateException e) {
      assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
      assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
          .isEqualTo(400);
    }
    // coalesce=false: the plain protocol, one message per watch.
    try (WsClient ws = WsClient.connect(node.client(), node.ws("/v1/watch?coalesce=false"))) {
      ws.send(create(1, "cp/k", ""));
      ws.send(create(2, "cp/k", ""));
      ws.expect("created 1", WsClient.created(1));
      ws.expect("created 2", WsClient.created(2));
      long rev = node.putKey("cp/k", "v").revision();
      Predicate<JsonNode> at = m -> m.path("revision").asLong() == rev;
      ws.expect("event on 1", m -> WsClient.events(1).test(m) && at.test(m));
      ws.expect("event on 2", m -> WsClient.events(2).test(m) && at.test(m));
      assertThat(ws.messages().stream().filter(WatchStreams::isGroup).toList()).isEmpty();
    }
  }
}
