package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.b;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyspaceWriteTest {
  Harness h;

  @BeforeEach
  void setUp() {
    h = Harness.active();
  }

  @Nested
  class Put {
    @ParameterizedTest
    @EnumSource(Via.class)
    void putOnMissingKeyStartsVersionAtOne(Via via) {
      Reply.PutReply r = via.put(h, "k", "v");
      assertThat(r.revision()).isEqualTo(1);
      assertThat(r.kv()).isEqualTo(new KeyValue("k", b("v"), 1, 1, 1, 0));
      assertThat(h.get("k")).isEqualTo(r.kv());
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void eachPutIncrementsVersionAndKeepsCreateRevision(Via via) {
      h.put("other", "x");
      via.put(h, "k", "v1");
      via.put(h, "other", "y");
      Reply.PutReply r = via.put(h, "k", "v2");
      assertThat(r.kv()).isEqualTo(new KeyValue("k", b("v2"), 2, 4, 2, 0));
      assertThat(via.put(h, "k", "v3").kv().version()).isEqualTo(3);
      assertThat(h.get("k").createRevision()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putOfTheSameValueIsStillANewVersion(Via via) {
      via.put(h, "k", "v");
      Reply.PutReply r = via.put(h, "k", "v");
      assertThat(r.kv().version()).isEqualTo(2);
      assertThat(r.kv().modRevision()).isEqualTo(2);
      assertThat(h.rev()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putAfterDeleteStartsANewGeneration(Via via) {
      via.put(h, "k", "a");
      via.put(h, "k", "b");
      h.delete(Command.Delete.key("k"));
      Reply.PutReply r = via.put(h, "k", "c");
      assertThat(r.kv()).isEqualTo(new KeyValue("k", b("c"), 4, 4, 1, 0));
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void everyAcceptedWriteTakesExactlyTheNextRevision(Via via) {
      for (int i = 1; i <= 20; i++) {
        Reply.PutReply r = via.put(h, "k" + (i % 3), "v" + i);
        assertThat(r.revision()).isEqualTo(i);
        assertThat(r.kv().modRevision()).isEqualTo(i);
        assertThat(h.rev()).isEqualTo(i);
      }
      assertThat(h.log).extracting(Event::revision).containsExactlyElementsOf(range(1, 20));
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prevKvIsReturnedOnlyWhenAskedFor(Via via) {
      Reply.PutReply first = via.put(h, Harness.putWithPrev("k", "a"));
      assertThat(first.prevKv()).as("no previous version").isNull();
      KeyValue a = h.get("k");
      assertThat(via.put(h, Harness.putWithPrev("k", "b")).prevKv()).isEqualTo(a);
      assertThat(via.put(h, "k", "c").prevKv()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prevKvOfAPutAfterADeleteIsNull(Via via) {
      h.put("k", "a");
      h.delete(Command.Delete.key("k"));
      assertThat(via.put(h, Harness.putWithPrev("k", "b")).prevKv()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void binaryValuesAreStoredByValue(Via via) {
      byte[] raw = {(byte) 0xFF, 0, (byte) 0x80};
      via.put(h, new Command.Put("k", Bytes.copyOf(raw), 0, false));
      raw[0] = 1;
      assertThat(h.get("k").value().toByteArray()).containsExactly(0xFF, 0, 0x80);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void emptyValueIsAllowed(Via via) {
      assertThat(via.put(h, new Command.Put("k", Bytes.EMPTY, 0, false)).kv().value())
          .isEqualTo(Bytes.EMPTY);
      assertThat(h.get("k")).isNotNull();
    }

    @Test
    void putEmitsOneKeysChangedEventAndOnePutWatchEvent() {
      h.put("k", "a");
      h.ok(Harness.putWithPrev("k", "b"));
      assertThat(h.log.get(1))
          .isEqualTo(new Event.KeysChanged(2, List.of(new Event.Mutation.Put("k", b("b"), 0))));
      assertThat(h.changes).hasSize(2);
      WatchEvent w = h.changes.get(1);
      assertThat(w.type()).isEqualTo(WatchEvent.Type.PUT);
      assertThat(w.kv()).isEqualTo(h.get("k"));
      assertThat(w.prevKv()).isEqualTo(h.changes.get(0).kv());
      assertThat(w.revision()).isEqualTo(2);
    }
  }

  @Nested
  class PutLeases {
    long a;
    long b2;

    @BeforeEach
    void leases() {
      a = h.grant(10);
      b2 = h.grant(10);
    }

    private List<String> keysOf(long lease) {
      return h.query(new Read.LeaseInfo(lease), Reply.LeaseInfoReply.class).keys();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putWithUnknownLeaseIsRejected(Via via) {
      assertThat(via.rejected(h, new Command.Put("k", b("v"), 99, false)).code())
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
      assertThat(h.get("k")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putWithNegativeLeaseIsInvalid(Via via) {
      assertThat(via.rejected(h, new Command.Put("k", b("v"), -1, false)).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putWithLeaseBindsTheKey(Via via) {
      Reply.PutReply r = via.put(h, new Command.Put("k", b("v"), a, false));
      assertThat(r.kv().lease()).isEqualTo(a);
      assertThat(h.get("k").lease()).isEqualTo(a);
      assertThat(keysOf(a)).containsExactly("k");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void movingAKeyToAnotherLeaseDetachesItFromTheFirst(Via via) {
      via.put(h, new Command.Put("k", b("v"), a, false));
      via.put(h, new Command.Put("k", b("v"), b2, false));
      assertThat(keysOf(a)).isEmpty();
      assertThat(keysOf(b2)).containsExactly("k");
      h.ok(new Command.RevokeLease(a));
      assertThat(h.get("k")).as("revoking the old lease leaves the moved key").isNotNull();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void putWithoutLeaseDetachesTheKey(Via via) {
      via.put(h, new Command.Put("k", b("v"), a, false));
      via.put(h, "k", "w");
      assertThat(keysOf(a)).isEmpty();
      assertThat(h.get("k").lease()).isZero();
      h.ok(new Command.ExpireLease(a));
      assertThat(h.get("k")).isNotNull();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void reputOnTheSameLeaseKeepsTheBinding(Via via) {
      via.put(h, new Command.Put("k", b("v"), a, false));
      via.put(h, new Command.Put("k", b("w"), a, false));
      assertThat(keysOf(a)).containsExactly("k");
    }

    @Test
    void deletingALeasedKeyDetachesIt() {
      h.put("k", "v", a);
      h.delete(Command.Delete.key("k"));
      assertThat(keysOf(a)).isEmpty();
    }
  }

  @Nested
  class Validation {
    @ParameterizedTest
    @EnumSource(Via.class)
    void emptyKeyIsRejected(Via via) {
      assertThat(via.rejected(h, Command.Put.of("", "v")).code()).isEqualTo(ErrorCode.EMPTY_KEY);
      assertThat(via.rejected(h, Command.Delete.key("")).code()).isEqualTo(ErrorCode.EMPTY_KEY);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void keyOfExactlyTheLimitIsAccepted(Via via) {
      String k = "k".repeat(4096);
      assertThat(via.put(h, k, "v").kv().key()).isEqualTo(k);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void keyOverTheLimitIsRejected(Via via) {
      String k = "k".repeat(4097);
      assertThat(via.rejected(h, Command.Put.of(k, "v")).code()).isEqualTo(ErrorCode.KEY_TOO_LARGE);
      assertThat(via.rejected(h, Command.Delete.key(k)).code()).isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void keyLengthCountsUtf8BytesNotCharacters(Via via) {
      // 2048 × "é" is 2048 chars but 4096 bytes; one more is over the limit.
      via.put(h, "é".repeat(2048), "v");
      assertThat(via.rejected(h, Command.Put.of("é".repeat(2049), "v")).code())
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
      // 1024 × U+1F600 is 2048 chars (surrogate pairs) and 4096 bytes.
      via.put(h, "😀".repeat(1024), "v");
      assertThat(via.rejected(h, Command.Put.of("😀".repeat(1024) + "x", "v")).code())
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
      assertThat(via.rejected(h, Command.Put.of("€".repeat(1366), "v")).code())
          .as("1366 × 3 bytes = 4098 bytes")
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void valueOfExactlyTheLimitIsAcceptedAndOneMoreIsRejected(Via via) {
      via.put(h, new Command.Put("k", Bytes.wrap(new byte[1024 * 1024]), 0, false));
      assertThat(
              via.rejected(h, new Command.Put("k", Bytes.wrap(new byte[1024 * 1024 + 1]), 0, false))
                  .code())
          .isEqualTo(ErrorCode.VALUE_TOO_LARGE);
      assertThat(h.get("k").version()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void rangeEndOverTheKeyLimitIsRejected(Via via) {
      assertThat(via.rejected(h, new Command.Delete("a", "z".repeat(4097), false)).code())
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @Test
    void customLimitsAreEnforced() {
      Harness small = Harness.with(new Limits(4, 2, 3, 5, 10));
      small.put("abcd", "xy");
      assertThat(small.code(Command.Put.of("abcde", "x"))).isEqualTo(ErrorCode.KEY_TOO_LARGE);
      assertThat(small.code(Command.Put.of("a", "xyz"))).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
      assertThat(small.code(new Command.GrantLease(0, 4))).isEqualTo(ErrorCode.TTL_OUT_OF_RANGE);
      assertThat(small.code(new Command.GrantLease(0, 11))).isEqualTo(ErrorCode.TTL_OUT_OF_RANGE);
    }

    @Test
    void aRejectedCommandEmitsNoEventAndNoWatchEvent() {
      h.put("k", "v");
      int events = h.log.size();
      int changes = h.changes.size();
      h.code(Command.Put.of("", "v"));
      h.code(new Command.Put("k", b("v"), 7, false));
      assertThat(h.log).hasSize(events);
      assertThat(h.changes).hasSize(changes);
    }
  }

  @Nested
  class Delete {
    @BeforeEach
    void keys() {
      for (String k : List.of("a", "a/1", "a/2", "a/3", "a0", "b", "c", "c/x", "d", "z")) {
        h.put(k, "v-" + k);
      }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void deletingASingleKeyRemovesItInTheNextRevision(Via via) {
      long rev = h.rev();
      Reply.DeleteReply r = via.delete(h, Command.Delete.key("b"));
      assertThat(r.deleted()).isEqualTo(1);
      assertThat(r.revision()).isEqualTo(rev + 1);
      assertThat(r.prevKvs()).isEmpty();
      assertThat(h.get("b")).isNull();
      assertThat(h.log.get(h.log.size() - 1))
          .isEqualTo(new Event.KeysChanged(rev + 1, List.of(new Event.Mutation.Delete("b"))));
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void deletingNothingChangesNothing(Via via) {
      long rev = h.rev();
      long digest = h.state.digest();
      int events = h.log.size();
      Reply.DeleteReply r = via.delete(h, Command.Delete.key("missing"));
      assertThat(r.deleted()).isZero();
      assertThat(r.revision()).isEqualTo(rev);
      assertThat(h.rev()).isEqualTo(rev);
      assertThat(h.state.digest()).isEqualTo(digest);
      assertThat(h.log).hasSize(events);
      assertThat(via.delete(h, Command.Delete.prefix("nope/")).deleted()).isZero();
      assertThat(h.rev()).isEqualTo(rev);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void deletingAnAlreadyDeletedKeyChangesNothing(Via via) {
      via.delete(h, Command.Delete.key("b"));
      long rev = h.rev();
      assertThat(via.delete(h, Command.Delete.key("b")).deleted()).isZero();
      assertThat(h.rev()).isEqualTo(rev);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prevKvReturnsTheDeletedVersions(Via via) {
      KeyValue a1 = h.get("a/1");
      KeyValue a2 = h.get("a/2");
      Reply.DeleteReply r = via.delete(h, new Command.Delete("a/1", "a/3", true));
      assertThat(r.deleted()).isEqualTo(2);
      assertThat(r.prevKvs()).containsExactly(a1, a2);
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prefixDeleteOfManyKeysIsOneRevision(Via via) {
      long rev = h.rev();
      Reply.DeleteReply r = via.delete(h, Command.Delete.prefix("a/"));
      assertThat(r.deleted()).isEqualTo(3);
      assertThat(h.rev()).isEqualTo(rev + 1);
      assertThat(h.log.get(h.log.size() - 1))
          .isEqualTo(
              new Event.KeysChanged(
                  rev + 1,
                  List.of(
                      new Event.Mutation.Delete("a/1"),
                      new Event.Mutation.Delete("a/2"),
                      new Event.Mutation.Delete("a/3"))));
      assertThat(h.changes.subList(h.changes.size() - 3, h.changes.size()))
          .allSatisfy(
              w -> {
                assertThat(w.type()).isEqualTo(WatchEvent.Type.DELETE);
                assertThat(w.revision()).isEqualTo(rev + 1);
              })
          .extracting(w -> w.kv().key())
          .containsExactly("a/1", "a/2", "a/3");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prefixDeleteLeavesSiblingsThatOnlyShareCharacters(Via via) {
      via.delete(h, Command.Delete.prefix("a/"));
      assertThat(h.keys()).containsExactly("a", "a0", "b", "c", "c/x", "d", "z");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void rangeDeleteIsHalfOpen(Via via) {
      assertThat(via.delete(h, new Command.Delete("b", "d", false)).deleted()).isEqualTo(3);
      assertThat(h.keys()).containsExactly("a", "a/1", "a/2", "a/3", "a0", "d", "z");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void unboundedRangeEndDeletesEverythingFromTheKeyOn(Via via) {
      assertThat(via.delete(h, new Command.Delete("c", KeyRange.UNBOUNDED, false)).deleted())
          .isEqualTo(4);
      assertThat(h.keys()).containsExactly("a", "a/1", "a/2", "a/3", "a0", "b");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void emptyKeyWithUnboundedEndDeletesTheWholeKeyspaceInOneRevision(Via via) {
      long rev = h.rev();
      assertThat(via.delete(h, new Command.Delete("", KeyRange.UNBOUNDED, false)).deleted())
          .isEqualTo(10);
      assertThat(h.keys()).isEmpty();
      assertThat(h.rev()).isEqualTo(rev + 1);
      assertThat(h.query(new Read.Status(), Reply.StatusReply.class).keys()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void prefixDeleteOfTheEmptyPrefixDeletesEverything(Via via) {
      assertThat(via.delete(h, Command.Delete.prefix("")).deleted()).isEqualTo(10);
      assertThat(h.keys()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void emptyKeyWithABoundedEndDeletesFromTheStart(Via via) {
      assertThat(via.delete(h, new Command.Delete("", "b", false)).deleted()).isEqualTo(5);
      assertThat(h.keys()).containsExactly("b", "c", "c/x", "d", "z");
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void rangeEndingBeforeItStartsDeletesNothing(Via via) {
      long rev = h.rev();
      assertThat(via.delete(h, new Command.Delete("d", "b", false)).deleted()).isZero();
      assertThat(via.delete(h, new Command.Delete("d", "d", false)).deleted()).isZero();
      assertThat(h.rev()).isEqualTo(rev);
      assertThat(h.keys()).hasSize(10);
    }
  }

  @Nested
  class CreateSequential {
    private String create(String prefix) {
      return h.ok(new Command.CreateSequential(prefix, b("x"), 0), Reply.PutReply.class).kv().key();
    }

    @Test
    void refusesANameAClientAlreadyPut() {
      // The next write is revision 2, so the sequential key would be exactly this name.
      h.put("q/00000000000000000002", "squatter");
      assertThat(h.code(new Command.CreateSequential("q/", b("x"), 0)))
          .isEqualTo(ErrorCode.KEY_EXISTS);
      // Any other write moves the revision, and with it the name, past the squatter.
      h.put("other", "v");
      assertThat(create("q/")).isEqualTo("q/00000000000000000003");
    }

    @Test
    void keyIsThePrefixPlusTheTwentyDigitZeroPaddedRevision() {
      for (int i = 0; i < 5; i++) {
        h.put("filler" + i, "v");
      }
      Reply.PutReply r =
          h.ok(new Command.CreateSequential("job-", b("x"), 0), Reply.PutReply.class);
      assertThat(r.kv().key()).isEqualTo("job-00000000000000000006");
      assertThat(r.kv()).isEqualTo(new KeyValue("job-00000000000000000006", b("x"), 6, 6, 1, 0));
      assertThat(h.get("job-00000000000000000006")).isEqualTo(r.kv());
      assertThat(r.prevKv()).isNull();
    }

    @Test
    void lexicalOrderIsCreationOrderAcrossDigitCountBoundaries() {
      List<String> created = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        created.add(create("q/"));
        if (i % 4 == 0) {
          h.put("noise", "n" + i);
        }
      }
      assertThat(created).isSorted().doesNotHaveDuplicates();
      assertThat(h.range(Read.Range.prefix("q/")).kvs())
          .extracting(KeyValue::key)
          .containsExactlyElementsOf(created);
    }

    @Test
    void emptyPrefixGivesJustTheDigits() {
      assertThat(create("")).isEqualTo("00000000000000000001");
    }

    @Test
    void keyIsAsciiWhateverTheDefaultLocale() {
      Locale saved = Locale.getDefault(Locale.Category.FORMAT);
      try {
        // A locale whose number formatting uses Arabic-Indic digits.
        Locale.setDefault(Locale.Category.FORMAT, Locale.forLanguageTag("ar-EG-u-nu-arab"));
        assertThat(create("p/")).isEqualTo("p/00000000000000000001");
      } finally {
        Locale.setDefault(Locale.Category.FORMAT, saved);
      }
    }

    @Test
    void bindsToALeaseAndRejectsAnUnknownOne() {
      long lease = h.grant(10);
      Reply.PutReply r =
          h.ok(new Command.CreateSequential("p/", b("x"), lease), Reply.PutReply.class);
      assertThat(r.kv().lease()).isEqualTo(lease);
      assertThat(h.query(new Read.LeaseInfo(lease), Reply.LeaseInfoReply.class).keys())
          .containsExactly(r.kv().key());
      assertThat(h.code(new Command.CreateSequential("p/", b("x"), 42)))
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    }

    @Test
    void prefixThatMakesTheKeyTooLongIsRejected() {
      assertThat(create("p".repeat(4096 - 20))).hasSize(4096);
      assertThat(h.code(new Command.CreateSequential("p".repeat(4096 - 19), b("x"), 0)))
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @Test
    void valueOverTheLimitIsRejected() {
      Harness small = Harness.with(new Limits(64, 2, 8, 1, 10));
      assertThat(small.code(new Command.CreateSequential("p/", b("xyz"), 0)))
          .isEqualTo(ErrorCode.VALUE_TOO_LARGE);
    }
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
