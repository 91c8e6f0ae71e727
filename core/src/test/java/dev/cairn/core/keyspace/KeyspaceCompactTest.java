package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyspaceCompactTest {
  Harness h;

  // r1 a=1, r2 a=2, r3 b=1, r4 delete b, r5 a=3, r6 c=1, r7 delete a, r8 a=4, r9 c=2
  @BeforeEach
  void history() {
    h = Harness.active();
    h.put("a", "1");
    h.put("a", "2");
    h.put("b", "1");
    h.delete(Command.Delete.key("b"));
    h.put("a", "3");
    h.put("c", "1");
    h.delete(Command.Delete.key("a"));
    h.put("a", "4");
    h.put("c", "2");
  }

  private Map<Long, List<KeyValue>> everyRevision() {
    Map<Long, List<KeyValue>> out = new HashMap<>();
    for (long r = Math.max(1, h.state.compactRevision()); r <= h.rev(); r++) {
      out.put(r, h.range(at(Harness.all(), r)).kvs());
    }
    return out;
  }

  @Nested
  class Decide {
    @Test
    void compactTakesTheNextRevisionAndReportsTheCompactRevision() {
      Reply.CompactReply r = h.ok(new Command.Compact(5), Reply.CompactReply.class);
      assertThat(r).isEqualTo(new Reply.CompactReply(10, 5));
      assertThat(h.log.get(9)).isEqualTo(new Event.Compacted(10, 5));
      assertThat(h.state.compactRevision()).isEqualTo(5);
      assertThat(h.changes).as("compaction is not a key change").hasSize(9);
    }

    @Test
    void compactingAtTheCurrentRevisionIsAllowed() {
      h.ok(new Command.Compact(9));
      assertThat(h.state.compactRevision()).isEqualTo(9);
    }

    @Test
    void aFutureRevisionIsRejectedWithTheCurrentRevision() {
      Rejection r = h.rejected(new Command.Compact(10));
      assertThat(r.code()).isEqualTo(ErrorCode.FUTURE_REVISION);
      assertThat(r.revision()).isEqualTo(9);
    }

    @ParameterizedTest(name = "compact({0}) after compact(5)")
    @ValueSource(longs = {5, 4, 1, 0})
    void atOrBelowTheCompactRevisionIsRejectedWithTheCompactRevision(long revision) {
      h.ok(new Command.Compact(5));
      Rejection r = h.rejected(new Command.Compact(revision));
      assertThat(r.code()).isEqualTo(ErrorCode.COMPACTED);
      assertThat(r.revision()).isEqualTo(5);
    }

    @Test
    void aNegativeCompactRevisionIsAnInvalidArgument() {
      h.ok(new Command.Compact(5));
      assertThat(h.rejected(new Command.Compact(-1)).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void compactingRevisionZeroOfAFreshKeyspaceIsRejected() {
      assertThat(Harness.active().code(new Command.Compact(0))).isEqualTo(ErrorCode.COMPACTED);
    }
  }

  @Nested
  class Reads {
    @ParameterizedTest(name = "compact at {0}")
    @ValueSource(longs = {1, 3, 4, 5, 7, 8, 9})
    void readsAtOrAfterTheCompactRevisionAnswerAsBefore(long c) {
      Map<Long, List<KeyValue>> before = everyRevision();
      h.ok(new Command.Compact(c));
      for (long r = c; r <= 9; r++) {
        assertThat(h.range(at(Harness.all(), r)).kvs()).as("at %d", r).isEqualTo(before.get(r));
        for (String k : List.of("a", "b", "c")) {
          assertThat(h.range(at(Read.Range.key(k), r)).kvs())
              .as("%s at %d", k, r)
              .isEqualTo(before.get(r).stream().filter(kv -> kv.key().equals(k)).toList());
        }
      }
      assertThat(h.range(Harness.all()).kvs()).isEqualTo(before.get(9L));
    }

    @ParameterizedTest(name = "compact at {0}")
    @ValueSource(longs = {2, 5, 9})
    void readsBelowTheCompactRevisionAreRejectedWithIt(long c) {
      h.ok(new Command.Compact(c));
      for (long r = 1; r < c; r++) {
        Rejection rj = h.queryRejected(at(Read.Range.key("a"), r));
        assertThat(rj.code()).isEqualTo(ErrorCode.COMPACTED);
        assertThat(rj.revision()).isEqualTo(c);
      }
    }

    @Test
    void historyFromBelowTheCompactRevisionIsRejectedWithIt() {
      h.ok(new Command.Compact(5));
      for (long from : new long[] {4, 1}) {
        Rejection rj = h.queryRejected(new Read.History("", "", from, 0));
        assertThat(rj.code()).as("from %d", from).isEqualTo(ErrorCode.COMPACTED);
        assertThat(rj.revision()).isEqualTo(5);
      }
    }

    /** Watchable like it is readable: a range read at the compaction revision answers too. */
    @ParameterizedTest(name = "compact at {0}")
    @ValueSource(longs = {1, 4, 5, 7, 9})
    void historyFromTheCompactRevisionItselfIsServedWithItsDeletions(long c) {
      List<String> before = changes(h.history("", "", c).events());
      h.ok(new Command.Compact(c));
      // The same changes; only a prev_kv older than the compaction point may be gone.
      assertThat(changes(h.history("", "", c).events())).isEqualTo(before);
      assertThat(before.get(0)).startsWith(c + " ");
    }

    private static List<String> changes(List<WatchEvent> events) {
      return events.stream()
          .map(e -> e.revision() + " " + e.type() + " " + e.kv().key() + " " + e.kv().version())
          .toList();
    }

    @ParameterizedTest(name = "compact at {0}")
    @ValueSource(longs = {1, 3, 4, 6, 8})
    void historyAfterTheCompactRevisionIsUnchangedIncludingPrevKvs(long c) {
      List<WatchEvent> before = h.history("", "", c + 1).events();
      h.ok(new Command.Compact(c));
      assertThat(h.history("", "", c + 1).events()).isEqualTo(before);
    }
  }

  @Nested
  class Retention {
    private Map<String, List<KeyValue>> retained() {
      Map<String, List<KeyValue>> out = new HashMap<>();
      for (KeyspaceSnapshot.KeyHistory kh : h.state.toSnapshot().keys()) {
        out.put(kh.key(), kh.versions());
      }
      return out;
    }

    @Test
    void olderVersionsAreDroppedAndTheVersionVisibleAtTheCompactRevisionIsKept() {
      h.ok(new Command.Compact(6));
      Map<String, List<KeyValue>> kept = retained();
      // a: r5 (visible at 6), tombstone r7, r8
      assertThat(kept.get("a")).extracting(KeyValue::modRevision).containsExactly(5L, 7L, 8L);
      // c: r6 (visible at 6), r9
      assertThat(kept.get("c")).extracting(KeyValue::modRevision).containsExactly(6L, 9L);
    }

    @Test
    void aKeyDeletedBeforeTheCompactRevisionIsForgottenAndADeletionAtItIsKept() {
      h.ok(new Command.Compact(4));
      // b's deletion at 4 is a change at the compaction revision, which can still be watched.
      assertThat(retained().get("b")).extracting(KeyValue::modRevision).containsExactly(4L);
      h.ok(new Command.Compact(7));
      assertThat(retained()).doesNotContainKey("b");
      // a's tombstone at 7 stays with the later generation.
      assertThat(retained().get("a")).extracting(KeyValue::modRevision).containsExactly(7L, 8L);
      h.ok(new Command.Compact(8));
      assertThat(retained().get("a")).extracting(KeyValue::modRevision).containsExactly(8L);
    }

    @Test
    void compactionDoesNotChangeCurrentValuesOrCounts() {
      Map<String, String> before = h.values();
      h.ok(new Command.Compact(9));
      assertThat(h.values()).isEqualTo(before);
      assertThat(h.query(new Read.Status(), Reply.StatusReply.class).keys()).isEqualTo(2);
      assertThat(h.get("a").createRevision()).isEqualTo(8);
      assertThat(h.get("c").createRevision()).isEqualTo(6);
      assertThat(h.get("c").version()).isEqualTo(2);
    }

    @Test
    void writesAfterACompactionContinueTheKeysGeneration() {
      h.ok(new Command.Compact(9));
      Reply.PutReply r = h.put("c", "3");
      assertThat(r.kv()).isEqualTo(new KeyValue("c", Harness.b("3"), 6, 11, 3, 0));
      h.put("b", "again");
      assertThat(h.get("b").version()).isEqualTo(1);
    }
  }
}
