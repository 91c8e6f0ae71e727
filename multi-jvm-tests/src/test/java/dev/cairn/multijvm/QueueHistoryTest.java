package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The queue proof's checker on small made-up histories: a clean one passes, and each broken promise
 * (a lost item, a double ack, an ack that is not the deletion, an early redelivery, an item passed
 * over) is reported.
 */
class QueueHistoryTest {
  private final List<LockHistory.Event> events = new ArrayList<>();
  private final QueueHistory h = new QueueHistory().ttl(2).consumerThreads(2);

  private QueueHistoryTest add(long ms, String label, String type, Object... fields) {
    List<String> f = new ArrayList<>();
    for (Object o : fields) {
      f.add(o.toString());
    }
    events.add(new LockHistory.Event(ms * 1_000_000, label, 0, type, f));
    return this;
  }

  /** Item {@code id} pushed by p as {@code p-<id>}, in the server at revision {@code id}. */
  private QueueHistoryTest pushed(long id) {
    add(id, "p", "push-sent", "p-" + id).add(id, "p", "pushed", "p-" + id, id);
    h.itemChange(id, true, "p-" + id, id, id);
    return this;
  }

  /** {@code label} took item {@code id} with {@code token} (lease 1) at {@code ms}. */
  private QueueHistoryTest took(long ms, String label, long id, long token) {
    add(ms, label, "took", id, token, 1, "p-" + id);
    h.claimChange(id, true, token, token);
    return this;
  }

  /** {@code label} acked item {@code id} of {@code token} at revision {@code rev}. */
  private QueueHistoryTest acked(long ms, String label, long id, long token, long rev) {
    add(ms, label, "ack-sent", id, token).add(ms + 1, label, "acked", id, token, rev);
    h.claimChange(id, false, rev, token);
    h.itemChange(id, false, null, rev, id);
    return this;
  }

  private List<String> problems() {
    return h.events(events).check().problems();
  }

  /** Items 1 and 2, taken and acked in order by a. */
  private QueueHistoryTest clean() {
    return pushed(1)
        .pushed(2)
        .took(10, "a", 1, 3)
        .acked(11, "a", 1, 3, 4)
        .took(12, "a", 2, 5)
        .acked(13, "a", 2, 5, 6);
  }

  @Test
  void aCleanHistoryPasses() {
    clean();
    assertThat(problems()).isEmpty();
  }

  @Test
  void anItemNeverAckedIsLost() {
    pushed(1).pushed(2).took(10, "a", 1, 3).acked(11, "a", 1, 3, 4);
    assertThat(problems()).anyMatch(p -> p.contains("item 2 (p-2) deleted 0 times"));
  }

  @Test
  void anItemAckedTwiceIsReported() {
    clean().add(20, "b", "acked", 1, 3, 4);
    assertThat(problems()).anyMatch(p -> p.startsWith("item 1 acked 2 times"));
  }

  @Test
  void anAckThatIsNotTheDeletionIsReported() {
    pushed(1).took(10, "a", 1, 3);
    add(11, "a", "acked", 1, 3, 9);
    h.claimChange(1, false, 4, 3).itemChange(1, false, null, 4, 1);
    assertThat(problems()).anyMatch(p -> p.contains("answered 200 but the item was deleted at 4"));
  }

  @Test
  void anItemDeletedWithoutAnyAckIsReported() {
    pushed(1).took(10, "a", 1, 3);
    h.claimChange(1, false, 4, 3).itemChange(1, false, null, 4, 1);
    assertThat(problems()).anyMatch(p -> p.contains("acked by nobody"));
  }

  @Test
  void anAckInDoubtOfAKilledConsumerCountsOnce() {
    pushed(1).took(10, "v", 1, 3).add(11, "v", "ack-sent", 1, 3);
    h.killed("v", 12_000_000).claimChange(1, false, 4, 3).itemChange(1, false, null, 4, 1);
    QueueHistory.Result r = h.events(events).check();
    assertThat(r.problems()).isEmpty();
    assertThat(r.ackedInDoubt()).isEqualTo(1);
  }

  @Test
  void aRedeliveryBeforeTheKilledTakersLeaseCouldEndIsReported() {
    pushed(1).add(5, "v", "renewed", 1, 100_000_000L).took(50, "v", 1, 3);
    h.killed("v", 200_000_000).claimChange(1, false, 4, 3); // the claim ended with the lease
    took(1_000, "a", 1, 5).acked(1_001, "a", 1, 5, 6); // 1.1 s before renewal + TTL
    assertThat(problems()).anyMatch(p -> p.contains("before the killed taker's lease 1"));
  }

  @Test
  void aRedeliveryAfterTheLeaseIsMeasured() {
    pushed(1).add(5, "v", "renewed", 1, 100_000_000L).took(50, "v", 1, 3);
    h.killed("v", 200_000_000).claimChange(1, false, 4, 3);
    took(2_150, "a", 1, 5).acked(2_151, "a", 1, 5, 6);
    QueueHistory.Result r = h.events(events).check();
    assertThat(r.problems()).isEmpty();
    assertThat(r.redeliveryAfterKillMs()).containsExactly(1_950L);
  }

  @Test
  void aRedeliveryToAClaimNobodyReportedIsNotMeasured() {
    pushed(1).add(5, "v", "renewed", 1, 100_000_000L).took(50, "v", 1, 3);
    h.killed("v", 200_000_000).claimChange(1, false, 4, 3);
    // claimed for a second killed consumer's take still waiting at the server; ends with its lease
    h.claimChange(1, true, 5, 5).claimChange(1, false, 6, 5);
    took(4_300, "a", 1, 7).acked(4_301, "a", 1, 7, 8);
    QueueHistory.Result r = h.events(events).check();
    assertThat(r.problems()).isEmpty();
    assertThat(r.redeliveryAfterKillMs()).isEmpty();
    assertThat(r.unrecordedClaims()).isEqualTo(1);
  }

  @Test
  void anItemPassedOverByMoreClaimsThanTakersIsReported() {
    // item 1 stays visible while 2, 3 and 4 are claimed: three claims past it, two takers
    pushed(1).pushed(2).pushed(3).pushed(4);
    took(10, "a", 2, 5).took(11, "b", 3, 6).took(12, "a", 4, 7).took(13, "b", 1, 8);
    acked(20, "a", 2, 5, 9).acked(21, "b", 3, 6, 10).acked(22, "a", 4, 7, 11);
    acked(23, "b", 1, 8, 12);
    assertThat(problems()).anyMatch(p -> p.contains("item 1, visible from revision 1, overtaken"));
  }

  @Test
  void aClaimOfAnUnpushedItemIsReported() {
    h.itemChange(7, true, "x", 7, 7);
    took(10, "a", 7, 8).acked(11, "a", 7, 8, 9);
    assertThat(problems()).anyMatch(p -> p.contains("pushed by nobody"));
  }
}
