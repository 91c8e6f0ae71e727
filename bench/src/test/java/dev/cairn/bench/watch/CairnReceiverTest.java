package dev.cairn.bench.watch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How {@link CairnReceiver} counts single-watch and group ({@code watch_ids}) messages. */
class CairnReceiverTest {
  private static final long R0 = 100;

  /** An event as the server writes it; the value is {@code <seq>:<sent nanos>:<pad>}. */
  private static String event(long seq, long sentAt, long revision) {
    return "{\"type\":\"PUT\",\"kv\":{\"key\":\"bench/watch/x/"
        + seq
        + "\",\"value\":\""
        + seq
        + ":"
        + sentAt
        + ":xx\",\"encoding\":\"utf-8\",\"create_revision\":"
        + revision
        + ",\"mod_revision\":"
        + revision
        + ",\"version\":1,\"lease\":0}}";
  }

  @Test
  void aGroupMessageCountsItsEventsForEveryListedWatch() {
    CairnReceiver rc = new CairnReceiver(0, 4, R0, 0);
    long sent = System.nanoTime();
    rc.onMessage("{\"watch_id\":0,\"created\":true}");
    rc.onMessage(
        "{\"watch_ids\":[0,2,3],\"revision\":101,\"events\":[" + event(0, sent, 101) + "]}");
    rc.onMessage("{\"watch_id\":1,\"revision\":101,\"events\":[" + event(0, sent, 101) + "]}");
    rc.onMessage(
        "{\"watch_ids\":[0,1,2,3],\"revision\":103,\"events\":["
            + event(1, sent, 102)
            + ","
            + event(2, sent, 103)
            + "]}");

    assertThat(rc.created.get()).isEqualTo(1);
    assertThat(rc.received.get()).isEqualTo(3 + 1 + 4 * 2);
    assertThat(rc.latency.getTotalCount())
        .as("one latency sample per watcher and event")
        .isEqualTo(12);
    for (int w = 0; w < 4; w++) {
      assertThat(rc.got[w].cardinality()).as("revisions of watch %d", w).isEqualTo(3);
      assertThat(rc.lastRevision[w]).isEqualTo(103);
    }
    assertThat(rc.duplicates).isZero();
    assertThat(rc.outOfOrder).isZero();
    assertThat(rc.malformed).isZero();

    // The same revision again for watch 2: a duplicate and out of order, for that watch only.
    rc.onMessage("{\"watch_ids\":[2,3],\"revision\":103,\"events\":[" + event(2, sent, 103) + "]}");
    assertThat(rc.duplicates).isEqualTo(2);
    assertThat(rc.outOfOrder).isEqualTo(2);

    // An id outside the connection's watches is malformed, and nothing of the message counts.
    long before = rc.received.get();
    rc.onMessage("{\"watch_ids\":[1,9],\"revision\":104,\"events\":[" + event(3, sent, 104) + "]}");
    assertThat(rc.malformed).isEqualTo(1);
    assertThat(rc.received.get()).isEqualTo(before);
    assertThat(rc.got[1].get((int) (104 - R0 - 1))).isFalse();
  }

  @Test
  void cancellationsAreCountedByReason() {
    CairnReceiver rc = new CairnReceiver(0, 2, R0, 0);
    rc.onMessage(
        "{\"watch_id\":0,\"canceled\":true,\"reason\":\"slow_consumer\",\"last_revision\":120}");
    rc.onMessage("{\"watch_id\":1,\"progress\":true,\"revision\":130}");
    assertThat(rc.cancelled.get()).isEqualTo(1);
    assertThat(rc.cancelReasons).containsEntry("slow_consumer", 1);
  }
}
