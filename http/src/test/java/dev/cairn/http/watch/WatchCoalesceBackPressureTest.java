package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A coalesced connection ({@code ?coalesce=true}) whose client stops reading: its held-back
 * messages go to one FIFO; past its count limit (max-pending-per-watch) or byte budget
 * (max-held-bytes-per-connection) every watch with a message in it is cancelled with slow_consumer
 * and a last_revision that is exactly what the client got, so resuming from last_revision + 1 loses
 * and repeats nothing.
 */
class WatchCoalesceBackPressureTest {
  /** The FIFO's count limit is reached first (32 messages of ~64 KiB are ~2 MiB of 16 MiB). */
  @RegisterExtension
  static final TestServer byCount = TestServer.perClass(WsClient.heldBackLimits(32, "16MiB"));

  /** The byte budget is reached first. */
  @RegisterExtension
  static final TestServer byBytes =
      TestServer.perClass(WsClient.heldBackLimits(1_000_000, "256KiB"));

  private static final Predicate<Change> ALL = c -> true;
  private static final Predicate<Change> PUTS = c -> c.type().equals("PUT");

  /** Watch {@code id}'s create message; odd ids are plain, even ids filter deletes out. */
  private static String create(long id, String prefix, long start, boolean noDelete) {
    return WsClient.create(
        id,
        prefix,
        ",\"prefix\":true,\"start_revision\":"
            + start
            + (noDelete ? ",\"filters\":[\"no_delete\"]" : ""));
  }

  /**
   * Opens a coalesced connection with {@code plain} plain watches (ids 1..) and one no_delete watch
   * (the next id), stops reading, writes {@code ops} changes of 32 KiB, reads again and returns the
   * connection once every watch's canceled message has arrived; checks that each is slow_consumer
   * and that what each watch got is exactly the acknowledged changes up to its last_revision.
   */
  private static Result slowClient(TestServer node, String prefix, int plain, int ops, long seed)
      throws Exception {
    long from = node.revision() + 1;
    WsClient ws = WsClient.connect(node.client(), node.ws("/v1/watch?coalesce=true"));
    int n = plain + 1;
    for (long id = 1; id <= n; id++) {
      ws.send(create(id, prefix, from, id == n));
    }
    for (long id = 1; id <= n; id++) {
      ws.expect("created " + id, WsClient.created(id));
    }
    ws.pause();
    // Far more than the socket queue, the FIFO and the kernel's socket buffers hold.
    WriteLoad load = new WriteLoad(node, prefix, 50, 4, ops, seed, 32 * 1024);
    load.start().join(120_000);
    ws.resume();
    for (long id = 1; id <= n; id++) {
      // In the order their messages were held, not by id.
      Predicate<JsonNode> canceled = WsClient.canceled(id);
      ws.awaitLog("canceled " + id, Duration.ofSeconds(60), l -> l.stream().anyMatch(canceled));
    }
    ws.skipAll();
    List<JsonNode> log = ws.messages();
    long[] last = new long[n + 1];
    for (long id = 1; id <= n; id++) {
      long watch = id;
      JsonNode canceled = log.stream().filter(WsClient.canceled(watch)).findFirst().orElseThrow();
      assertThat(canceled.path("reason").asText())
          .as("seed %d: %s", seed, canceled)
          .isEqualTo("slow_consumer");
      last[(int) id] = canceled.path("last_revision").asLong();
      assertThat(last[(int) id])
          .as("seed %d: last_revision of %s", seed, canceled)
          .isGreaterThanOrEqualTo(from - 1)
          .isLessThan(load.maxAckedRevision());
      List<Change> got = WatchStreams.events(log, id);
      Predicate<Change> keep = id == n ? PUTS : ALL;
      assertThat(
              Follower.verify(
                  got, WatchStreams.upTo(load.acked(), last[(int) id], keep), List.of()))
          .as(
              "seed %d: events of watch %d before its cancel vs acknowledged changes up to"
                  + " last_revision %d",
              seed, id, last[(int) id])
          .isEmpty();
      assertThat(WatchStreams.afterCanceled(log, id).stream().map(WatchStreams::summary).toList())
          .as("seed %d: messages about watch %d after its cancel", seed, id)
          .isEmpty();
    }
    long groups = log.stream().filter(m -> m.has("events") && WatchStreams.isGroup(m)).count();
    assertThat(groups).as("seed %d: group messages before the cancel", seed).isPositive();
    System.out.printf(
        "%s: %d group messages, cancelled at last_revision %s of %d%n",
        prefix,
        groups,
        java.util.Arrays.toString(java.util.Arrays.copyOfRange(last, 1, n + 1)),
        load.maxAckedRevision());
    assertThat(ws.isClosed()).as("seed %d: the connection is still open", seed).isFalse();
    return new Result(ws, load, last, n);
  }

  private record Result(WsClient ws, WriteLoad load, long[] last, int n) {}

  @Test
  void aCoalescedClientThatStopsReadingIsCancelledAtTheCountLimitAndResumesWithoutAGap()
      throws Exception {
    WatchExactnessTest.seeded(
        "coalesced slow consumer (count)",
        random -> {
          Result r = slowClient(byCount, "cbp/", 2, 500, random.nextLong());
          try (WsClient ws = r.ws()) {
            // Resume every watch on the same connection from its last_revision + 1, one at a time
            // (each catches up in one large history message).
            for (long id = 1; id <= r.n(); id++) {
              long resumed = 10 + id;
              boolean noDelete = id == r.n();
              Predicate<Change> keep = noDelete ? PUTS : ALL;
              List<Change> expected =
                  WatchStreams.upTo(r.load().acked(), Long.MAX_VALUE, keep).values().stream()
                      .toList();
              long until = expected.get(expected.size() - 1).revision();
              ws.send(create(resumed, "cbp/", r.last()[(int) id] + 1, noDelete));
              ws.expect("created " + resumed, Duration.ofSeconds(60), WsClient.created(resumed));
              if (until > r.last()[(int) id]) {
                ws.expect(
                    "watch " + resumed + " to catch up",
                    Duration.ofSeconds(60),
                    m ->
                        WatchStreams.eventsFor(resumed).test(m)
                            && m.path("revision").asLong() >= until);
              }
              List<Change> union = new ArrayList<>(WatchStreams.events(ws.messages(), id));
              union.addAll(WatchStreams.events(ws.messages(), resumed));
              assertThat(
                      Follower.verify(
                          union,
                          WatchStreams.upTo(r.load().acked(), Long.MAX_VALUE, keep),
                          List.of()))
                  .as(
                      "watch %d before the cancel + watch %d resumed from %d",
                      id, resumed, r.last()[(int) id] + 1)
                  .isEmpty();
            }
          }
        });
  }

  @Test
  void aCoalescedClientOverItsByteBudgetHasEveryHeldWatchCancelled() throws Exception {
    WatchExactnessTest.seeded(
        "coalesced slow consumer (bytes)",
        random -> {
          Result r = slowClient(byBytes, "cbb/", 3, 300, random.nextLong());
          r.ws().close();
        });
  }
}
