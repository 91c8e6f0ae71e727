package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lock proofs' checker on small made-up histories: a clean one passes, and each broken promise
 * is reported.
 */
class LockHistoryTest {
  private static final String PREFIX = "_cairn/locks/x/";

  /** Lines of one contender's history; times in ms. */
  private static final class Lines {
    final List<LockHistory.Event> events = new ArrayList<>();

    Lines add(long ms, String label, int contender, String type, Object... fields) {
      List<String> f = new ArrayList<>();
      for (Object o : fields) {
        f.add(o.toString());
      }
      events.add(new LockHistory.Event(ms * 1_000_000, label, contender, type, f));
      return this;
    }

    /** A whole turn: granted at {@code ms}, writes {@code count} at revision {@code rev}. */
    Lines turn(long ms, String label, int c, long token, long lease, long count, long rev) {
      return add(ms, label, c, "grant", token, lease)
          .add(ms + 1, label, c, "read", token, count - 1)
          .add(ms + 2, label, c, "write", token, count)
          .add(ms + 3, label, c, "ok", token, count, rev)
          .add(ms + 4, label, c, "release", token)
          .add(ms + 5, label, c, "released", token);
    }
  }

  private static String key(long lease) {
    return PREFIX + String.format("%016x", lease);
  }

  /**
   * Two contenders a/0 (lease 1) and b/0 (lease 2): a gets token 3 and writes 1 at revision 5,
   * releases at 6; b (queued at 4) gets token 4, writes 2 at 7, releases at 8.
   */
  private static LockHistory clean(Lines lines) {
    lines
        .add(0, "a", 0, "lease", 1)
        .add(0, "b", 0, "lease", 2)
        .turn(10, "a", 0, 3, 1, 1, 5)
        .turn(20, "b", 0, 4, 2, 2, 7);
    return new LockHistory()
        .ttl(2)
        .events(lines.events)
        .entry(key(1), 1, 3, 0)
        .deleted(key(1), 6)
        .entry(key(2), 2, 4, 0)
        .deleted(key(2), 8)
        .write(5, 1, 3)
        .write(7, 2, 4)
        .finalCount(2);
  }

  @Test
  void aCleanHistoryPasses() {
    assertThat(clean(new Lines()).check().problems()).isEmpty();
  }

  @Test
  void overlappingHoldsAreTwoHolders() {
    Lines l = new Lines();
    l.add(0, "a", 0, "lease", 1).add(0, "b", 0, "lease", 2);
    l.turn(10, "a", 0, 3, 1, 1, 5).turn(12, "b", 0, 4, 2, 2, 7); // b granted before a released
    LockHistory h =
        new LockHistory()
            .events(l.events)
            .entry(key(1), 1, 3, 0)
            .deleted(key(1), 6)
            .entry(key(2), 2, 4, 0)
            .deleted(key(2), 8)
            .write(5, 1, 3)
            .write(7, 2, 4)
            .finalCount(2);
    assertThat(h.check().problems()).anyMatch(p -> p.startsWith("two holders at once"));
  }

  @Test
  void twoWritesOfTheSameCountAreALostUpdate() {
    LockHistory h = clean(new Lines()).write(9, 2, 4).finalCount(3);
    assertThat(h.check().problems()).anyMatch(p -> p.startsWith("lost or repeated update"));
  }

  @Test
  void aWriteAppliedWhileAnEarlierEntryWasQueuedIsReported() {
    Lines l = new Lines();
    LockHistory h = clean(l).entry(key(9), 9, 2, 0).deleted(key(9), 10);
    l.add(0, "c", 0, "lease", 9).add(30, "c", 0, "timeout", 9);
    assertThat(h.check().problems())
        .anyMatch(p -> p.contains("was applied while an earlier entry"));
  }

  @Test
  void aWaiterPassedOverIsReported() {
    Lines l = new Lines();
    LockHistory h = clean(l).entry(key(9), 9, 1, 0).deleted(key(9), 2);
    l.add(0, "c", 0, "lease", 9); // c never gave up and was not killed
    assertThat(h.check().problems()).anyMatch(p -> p.contains("passed over"));
  }

  @Test
  void aLateHandOffAfterAKillIsReported() {
    Lines l = new Lines();
    l.add(0, "v", 0, "lease", 1).add(0, "b", 0, "lease", 2);
    l.add(10, "v", 0, "grant", 3, 1).add(11, "v", 0, "read", 3, 0);
    l.turn(3_100 + 20, "b", 0, 4, 2, 1, 7); // 3.1 s after the kill at 20 ms, TTL 2 s
    LockHistory h =
        new LockHistory()
            .ttl(2)
            .events(l.events)
            .killed("v", 20_000_000L)
            .entry(key(1), 1, 3, 0)
            .deleted(key(1), 6)
            .entry(key(2), 2, 4, 0)
            .deleted(key(2), 8)
            .write(7, 1, 4)
            .finalCount(1);
    LockHistory.Result r = h.check();
    assertThat(r.handoffAfterKillMs()).containsExactly(3_100L);
    assertThat(r.problems()).anyMatch(p -> p.contains("the bound is the TTL + 1 s"));
  }

  @Test
  void aRefusedWriteFoundAppliedIsReported() {
    Lines l = new Lines();
    l.add(0, "a", 0, "lease", 1)
        .add(10, "a", 0, "grant", 3, 1)
        .add(11, "a", 0, "read", 3, 0)
        .add(12, "a", 0, "write", 3, 1)
        .add(13, "a", 0, "fenced", 3, 1)
        .add(14, "a", 0, "release", 3)
        .add(15, "a", 0, "not-holder", 3);
    LockHistory h =
        new LockHistory()
            .events(l.events)
            .entry(key(1), 1, 3, 0)
            .deleted(key(1), 6)
            .write(5, 1, 3)
            .finalCount(1);
    assertThat(h.check().problems()).anyMatch(p -> p.contains("was refused as fenced"));
  }
}
