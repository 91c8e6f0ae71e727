package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.at;
import static dev.cairn.core.keyspace.Harness.b;
import static dev.cairn.core.keyspace.Harness.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyspaceReadTest {
  Harness h;

  @BeforeEach
  void setUp() {
    h = Harness.active();
  }

  @Nested
  class Published {
    @Test
    void answersAtThePublishedRevisionOnly() {
      h.put("k", "one");
      h.state.publish(1);
      h.put("k", "two");
      Reply.RangeReply r = (Reply.RangeReply) h.ks.readPublished(h.state, Read.Range.key("k"));
      assertThat(r.revision()).isEqualTo(1);
      assertThat(r.kvs()).extracting(kv -> kv.value().utf8String()).containsExactly("one");
    }

    @Test
    void aClosedStateAnswersNothing() {
      h.put("k", "one");
      h.state.publish(1);
      h.state.close();
      assertThat(h.ks.readPublished(h.state, Read.Range.key("k"))).isNull();
    }

    @Test
    void aRevisionCannotBePublishedBeforeItIsApplied() {
      h.put("k", "one");
      assertThatThrownBy(() -> h.state.publish(2)).isInstanceOf(IllegalArgumentException.class);
      assertThat(h.state.published()).isEqualTo(-1);
    }
  }

  @Nested
  class Range {
    @BeforeEach
    void keys() {
      for (String k : List.of("a", "b/1", "b/2", "b/3", "b/4", "c")) {
        h.put(k, "v-" + k);
      }
    }

    private List<String> keysOf(Read.Range r) {
      return h.range(r).kvs().stream().map(KeyValue::key).toList();
    }

    @Test
    void singleKeyReturnsItsCurrentVersion() {
      Reply.RangeReply r = h.range(Read.Range.key("b/2"));
      assertThat(r.kvs()).containsExactly(new KeyValue("b/2", b("v-b/2"), 3, 3, 1, 0));
      assertThat(r.count()).isEqualTo(1);
      assertThat(r.more()).isFalse();
      assertThat(r.revision()).isEqualTo(6);
    }

    @Test
    void missingKeyReturnsNothing() {
      Reply.RangeReply r = h.range(Read.Range.key("b"));
      assertThat(r.kvs()).isEmpty();
      assertThat(r.count()).isZero();
      assertThat(r.more()).isFalse();
    }

    @ParameterizedTest(name = "[{0}, {1}) = {2}")
    @CsvSource(
        delimiter = '|',
        value = {
          "b/   | b0  | b/1,b/2,b/3,b/4",
          "b/2  | b/4 | b/2,b/3",
          "a    | c   | a,b/1,b/2,b/3,b/4",
          "b/4  | ''  | b/4,c",
          "''   | ''  | a,b/1,b/2,b/3,b/4,c",
          "''   | b/2 | a,b/1",
          "c    | a   | ''",
          "d    | ''  | ''",
        })
    void rangeIsHalfOpenWithEmptyEndMeaningUnbounded(String key, String end, String expected) {
      List<String> want = expected.isEmpty() ? List.of() : List.of(expected.split(","));
      assertThat(keysOf(range(key, end))).containsExactlyElementsOf(want);
    }

    @Test
    void prefixRangeReturnsKeysInKeyOrder() {
      assertThat(keysOf(Read.Range.prefix("b/"))).containsExactly("b/1", "b/2", "b/3", "b/4");
      assertThat(keysOf(Read.Range.prefix(""))).hasSize(6);
    }

    @Test
    void emptyKeyWithoutARangeEndIsRejected() {
      assertThat(h.queryRejected(Read.Range.key("")).code()).isEqualTo(ErrorCode.EMPTY_KEY);
    }

    @Test
    void keyOverTheLimitIsRejected() {
      assertThat(h.queryRejected(Read.Range.key("k".repeat(4097))).code())
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @ParameterizedTest(name = "limit {0} → {1} kvs, more={2}")
    @CsvSource({"0, 4, false", "1, 1, true", "3, 3, true", "4, 4, false", "5, 4, false"})
    void limitCutsTheAnswerAndCountStillCountsEverything(long limit, int size, boolean more) {
      Reply.RangeReply r = h.range(new Read.Range("b/", "b0", limit, 0, false, false));
      assertThat(r.kvs()).hasSize(size);
      assertThat(r.count()).isEqualTo(4);
      assertThat(r.more()).isEqualTo(more);
      assertThat(r.kvs()).extracting(KeyValue::key).isSorted().first().isEqualTo("b/1");
    }

    @Test
    void negativeLimitOrRevisionIsInvalid() {
      assertThat(h.queryRejected(new Read.Range("a", null, -1, 0, false, false)).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(h.queryRejected(new Read.Range("a", null, 0, -1, false, false)).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void keysOnlyDropsValuesButKeepsMetadata() {
      Reply.RangeReply r = h.range(new Read.Range("b/", "b0", 2, 0, true, false));
      assertThat(r.kvs())
          .containsExactly(
              new KeyValue("b/1", Bytes.EMPTY, 2, 2, 1, 0),
              new KeyValue("b/2", Bytes.EMPTY, 3, 3, 1, 0));
      assertThat(r.more()).isTrue();
      assertThat(h.get("b/1").value()).as("the stored value is untouched").isEqualTo(b("v-b/1"));
    }

    @Test
    void countOnlyReturnsTheCountAndNoKeyValues() {
      Reply.RangeReply r = h.range(new Read.Range("b/", "b0", 2, 0, false, true));
      assertThat(r.kvs()).isEmpty();
      assertThat(r.count()).isEqualTo(4);
      assertThat(r.more()).isFalse();
    }

    @Test
    void futureRevisionIsRejectedWithTheCurrentRevision() {
      Rejection r = h.queryRejected(at(Read.Range.key("a"), 7));
      assertThat(r.code()).isEqualTo(ErrorCode.FUTURE_REVISION);
      assertThat(r.revision()).isEqualTo(6);
      assertThat(h.range(at(Read.Range.key("a"), 6)).kvs()).hasSize(1);
    }
  }

  @Nested
  class Mvcc {
    // r1 put a=1, r2 put a=2, r3 put b=x, r4 delete a, r5 put a=3, r6 delete prefix "" (both)
    @BeforeEach
    void history() {
      h.put("a", "1");
      h.put("a", "2");
      h.put("b", "x");
      h.delete(Command.Delete.key("a"));
      h.put("a", "3");
      h.delete(Command.Delete.prefix(""));
    }

    @ParameterizedTest(name = "at {0}: {1}")
    @CsvSource(
        delimiter = '|',
        value = {
          "1 | a=1",
          "2 | a=2",
          "3 | a=2,b=x",
          "4 | b=x",
          "5 | a=3,b=x",
          "6 | ''",
        })
    void aRangeAtAnOldRevisionSeesTheKeyspaceAsItWasThen(long revision, String expected) {
      List<String> got = new ArrayList<>();
      for (KeyValue kv : h.range(at(Harness.all(), revision)).kvs()) {
        got.add(kv.key() + "=" + kv.value().utf8String());
      }
      List<String> want = expected.isEmpty() ? List.of() : List.of(expected.split(","));
      assertThat(got).containsExactlyElementsOf(want);
    }

    @Test
    void oldVersionsKeepTheirMetadata() {
      assertThat(h.range(at(Read.Range.key("a"), 2)).kvs())
          .containsExactly(new KeyValue("a", b("2"), 1, 2, 2, 0));
      assertThat(h.range(at(Read.Range.key("a"), 5)).kvs())
          .as("a new generation after the delete")
          .containsExactly(new KeyValue("a", b("3"), 5, 5, 1, 0));
      assertThat(h.range(at(Read.Range.key("a"), 4)).kvs()).isEmpty();
    }

    @Test
    void anOldReadReportsTheCurrentRevision() {
      assertThat(h.range(at(Harness.all(), 2)).revision()).isEqualTo(6);
    }

    @Test
    void aKeyDoesNotExistBeforeItWasCreated() {
      assertThat(h.range(at(Read.Range.key("b"), 2)).kvs()).isEmpty();
    }
  }

  @Nested
  class History {
    @Test
    void eventsComeInRevisionOrderAndKeyOrderWithinARevision() {
      h.put("z", "1");
      h.txn(
          Harness.txn(
              List.of(),
              List.of(Command.Put.of("c", "2"), Command.Put.of("a", "2"), Command.Put.of("b", "2")),
              List.of()));
      h.put("a", "3");
      List<WatchEvent> events = h.history("", "", 1).events();
      assertThat(events)
          .extracting(e -> e.revision() + ":" + e.kv().key())
          .containsExactly("1:z", "2:a", "2:b", "2:c", "3:a");
    }

    @Test
    void putEventsCarryTheNewAndPreviousVersions() {
      h.put("k", "1");
      h.put("k", "2");
      List<WatchEvent> events = h.history("k", null, 1).events();
      assertThat(events).hasSize(2);
      assertThat(events.get(0))
          .isEqualTo(
              new WatchEvent(WatchEvent.Type.PUT, new KeyValue("k", b("1"), 1, 1, 1, 0), null));
      assertThat(events.get(1))
          .isEqualTo(
              new WatchEvent(
                  WatchEvent.Type.PUT,
                  new KeyValue("k", b("2"), 1, 2, 2, 0),
                  new KeyValue("k", b("1"), 1, 1, 1, 0)));
    }

    @Test
    void aDeleteEventHasVersionZeroAnEmptyValueAndTheDeletingRevision() {
      h.put("k", "1");
      h.delete(Command.Delete.key("k"));
      h.put("k", "2");
      List<WatchEvent> events = h.history("k", null, 2).events();
      assertThat(events)
          .containsExactly(
              new WatchEvent(
                  WatchEvent.Type.DELETE,
                  new KeyValue("k", Bytes.EMPTY, 0, 2, 0, 0),
                  new KeyValue("k", b("1"), 1, 1, 1, 0)),
              new WatchEvent(WatchEvent.Type.PUT, new KeyValue("k", b("2"), 3, 3, 1, 0), null));
    }

    @Test
    void fromRevisionSkipsEarlierChanges() {
      for (int i = 1; i <= 5; i++) {
        h.put("k" + i, "v");
      }
      assertThat(h.history("", "", 4).events())
          .extracting(WatchEvent::revision)
          .containsExactly(4L, 5L);
      assertThat(h.history("", "", 6).events()).isEmpty();
      assertThat(h.history("", "", 6).nextRevision()).isEqualTo(6);
    }

    @Test
    void onlyKeysInTheRangeAreReported() {
      h.put("a/1", "v");
      h.put("b/1", "v");
      h.put("a/2", "v");
      h.put("a", "v");
      assertThat(h.history("a/", KeyRange.prefixEnd("a/"), 1).events())
          .extracting(e -> e.kv().key())
          .containsExactly("a/1", "a/2");
      assertThat(h.history("a", null, 1).events())
          .extracting(e -> e.kv().key())
          .containsExactly("a");
      assertThat(h.history("b", "a", 1).events()).as("inverted range").isEmpty();
    }

    @Test
    void aCompleteAnswerPointsPastTheCurrentRevision() {
      h.put("a", "1");
      h.put("a", "2");
      Reply.HistoryReply r = h.history("a", null, 1);
      assertThat(r.nextRevision()).isEqualTo(3);
      assertThat(r.revision()).isEqualTo(2);
    }

    @Test
    void pagingCutsAtARevisionBoundaryAndNeverSplitsARevision() {
      h.put("x", "1"); // r1
      for (String k : List.of("p/1", "p/2", "p/3")) {
        h.put(k, "v"); // r2..r4
      }
      h.delete(Command.Delete.prefix("p/")); // r5, three events
      h.put("x", "2"); // r6
      Reply.HistoryReply page = h.query(new Read.History("", "", 1, 4), Reply.HistoryReply.class);
      // 4 events reach r4; r5 is not included because the 4th event closes r4.
      assertThat(page.events()).extracting(WatchEvent::revision).containsExactly(1L, 2L, 3L, 4L);
      assertThat(page.nextRevision()).isEqualTo(5);
      page = h.query(new Read.History("", "", 5, 1), Reply.HistoryReply.class);
      assertThat(page.events()).extracting(WatchEvent::revision).containsExactly(5L, 5L, 5L);
      assertThat(page.nextRevision()).isEqualTo(6);
      page = h.query(new Read.History("", "", 6, 1), Reply.HistoryReply.class);
      assertThat(page.events()).extracting(WatchEvent::revision).containsExactly(6L);
      assertThat(page.nextRevision()).isEqualTo(7);
    }

    @ParameterizedTest(name = "maxEvents {0}")
    @CsvSource({"1", "2", "3", "5", "100", "0"})
    void followingNextRevisionThroughEveryPageGivesTheFullHistory(int maxEvents) {
      for (int i = 0; i < 12; i++) {
        if (i % 5 == 4) {
          h.delete(Command.Delete.prefix("k"));
        } else {
          h.put("k" + (i % 3), "v" + i);
        }
      }
      List<WatchEvent> full = h.history("", "", 1).events();
      List<WatchEvent> paged = new ArrayList<>();
      long from = 1;
      int pages = 0;
      while (from <= h.rev()) {
        Reply.HistoryReply p =
            h.query(new Read.History("", "", from, maxEvents), Reply.HistoryReply.class);
        assertThat(p.nextRevision()).isGreaterThan(from);
        if (maxEvents > 0 && p.nextRevision() <= h.rev()) {
          assertThat(p.events()).hasSizeGreaterThanOrEqualTo(maxEvents);
        }
        paged.addAll(p.events());
        from = p.nextRevision();
        pages++;
      }
      assertThat(pages).isLessThanOrEqualTo(full.size() + 1);
      assertThat(paged).isEqualTo(full);
    }

    @Test
    void liveWatchEventsEqualTheReplayedHistory() {
      long lease = h.grant(10);
      h.put("a", "1", lease);
      h.put("b", "1");
      h.txn(
          Harness.txn(
              List.of(),
              List.of(
                  Command.Put.of("c", "1"), Command.Delete.key("b"), Harness.putWithPrev("a", "2")),
              List.of()));
      h.put("b", "2", lease);
      h.ok(new Command.CreateSequential("s/", b("x"), 0));
      h.ok(new Command.RevokeLease(lease));
      h.delete(Command.Delete.prefix(""));
      assertThat(h.changes).hasSizeGreaterThan(8);
      assertThat(h.history("", "", 1).events()).isEqualTo(h.changes);
    }

    @Test
    void leaseRevocationShowsAsDeleteEventsInOneRevision() {
      long lease = h.grant(10);
      h.put("a", "1", lease);
      h.put("b", "1", lease);
      h.ok(new Command.RevokeLease(lease));
      List<WatchEvent> events = h.history("", "", 4).events();
      assertThat(events)
          .allSatisfy(e -> assertThat(e.type()).isEqualTo(WatchEvent.Type.DELETE))
          .extracting(e -> e.revision() + ":" + e.kv().key())
          .containsExactly("4:a", "4:b");
      assertThat(events).extracting(WatchEvent::prevKv).doesNotContainNull();
    }
  }

  @Nested
  class Status {
    @Test
    void reportsRevisionKeysLeasesAndDigest() {
      h.put("a", "1");
      h.put("b", "1");
      h.grant(10);
      h.delete(Command.Delete.key("a"));
      h.ok(new Command.Compact(2));
      Reply.StatusReply s = h.query(new Read.Status(), Reply.StatusReply.class);
      assertThat(s).isEqualTo(new Reply.StatusReply(5, 2, true, 1, 1, h.state.digest()));
    }

    @Test
    void statesThatDecideDifferentlyHaveDifferentDigests() {
      // Same revision, no keys, no leases; only the next automatic lease id differs.
      Harness auto = Harness.active();
      auto.ok(new Command.RevokeLease(auto.grant(10)));
      Harness chosen = Harness.active();
      chosen.ok(new Command.GrantLease(5, 10));
      chosen.ok(new Command.RevokeLease(5));
      Command next = new Command.GrantLease(0, 10);
      assertThat(auto.decide(next)).isNotEqualTo(chosen.decide(next));
      assertThat(auto.state.digest()).isNotEqualTo(chosen.state.digest());
    }

    @Test
    void digestChangesWithEveryAcceptedWrite() {
      Map<Long, Long> seen = new HashMap<>();
      seen.put(h.state.digest(), 0L);
      for (int i = 1; i <= 30; i++) {
        h.put("k" + (i % 4), "v" + (i % 2));
        assertThat(seen.put(h.state.digest(), (long) i)).as("digest after %d repeats", i).isNull();
      }
    }
  }
}
