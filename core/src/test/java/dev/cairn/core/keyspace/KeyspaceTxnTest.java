package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.at;
import static dev.cairn.core.keyspace.Harness.b;
import static dev.cairn.core.keyspace.Harness.txn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import dev.cairn.core.keyspace.Compare.Op;
import dev.cairn.core.keyspace.Compare.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class KeyspaceTxnTest {
  Harness h;

  @BeforeEach
  void setUp() {
    h = Harness.active();
  }

  private static Command.Txn when(Compare c) {
    return txn(List.of(c), List.of(Read.Range.key("k")), List.of());
  }

  private boolean holds(Compare c) {
    return h.txn(when(c)).succeeded();
  }

  @Nested
  class Compares {
    long lease;

    // k: created at r2, modified at r4, version 2, lease 1, value "m"
    @BeforeEach
    void key() {
      lease = h.grant(10); // r1
      h.put("k", "a"); // r2
      h.put("other", "x"); // r3
      h.put("k", "m", lease); // r4
      h.put("other", "y"); // r5
    }

    @ParameterizedTest(name = "{0} {1} {2} → {3}")
    @CsvSource({
      "VERSION, EQUAL, 2, true",
      "VERSION, EQUAL, 1, false",
      "VERSION, NOT_EQUAL, 1, true",
      "VERSION, NOT_EQUAL, 2, false",
      "VERSION, LESS, 3, true",
      "VERSION, LESS, 2, false",
      "VERSION, GREATER, 1, true",
      "VERSION, GREATER, 2, false",
      "CREATE_REVISION, EQUAL, 2, true",
      "CREATE_REVISION, LESS, 2, false",
      "CREATE_REVISION, GREATER, 1, true",
      "CREATE_REVISION, NOT_EQUAL, 4, true",
      "MOD_REVISION, EQUAL, 4, true",
      "MOD_REVISION, EQUAL, 2, false",
      "MOD_REVISION, LESS, 5, true",
      "MOD_REVISION, GREATER, 4, false",
      "LEASE, EQUAL, 1, true",
      "LEASE, EQUAL, 0, false",
      "LEASE, NOT_EQUAL, 0, true",
      "LEASE, GREATER, 0, true",
      "LEASE, LESS, 1, false",
    })
    void numericComparesOnAnExistingKey(Target target, Op op, long operand, boolean expected) {
      assertThat(holds(Compare.number("k", target, op, operand))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "value {0} \"{1}\" → {2}")
    @CsvSource({
      "EQUAL, m, true",
      "EQUAL, a, false",
      "NOT_EQUAL, a, true",
      "NOT_EQUAL, m, false",
      "LESS, n, true",
      "LESS, m, false",
      "LESS, mm, true",
      "GREATER, a, true",
      "GREATER, m, false",
      "GREATER, '', true",
    })
    void valueComparesOnAnExistingKey(Op op, String operand, boolean expected) {
      assertThat(holds(Compare.value("k", op, b(operand)))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "missing {0} {1} {2} → {3}")
    @CsvSource({
      "VERSION, EQUAL, 0, true",
      "VERSION, GREATER, 0, false",
      "VERSION, LESS, 1, true",
      "CREATE_REVISION, EQUAL, 0, true",
      "MOD_REVISION, EQUAL, 0, true",
      "MOD_REVISION, NOT_EQUAL, 0, false",
      "LEASE, EQUAL, 0, true",
      "LEASE, NOT_EQUAL, 0, false",
    })
    void aMissingKeyComparesAsZero(Target target, Op op, long operand, boolean expected) {
      assertThat(holds(Compare.number("missing", target, op, operand))).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void aValueCompareOnAMissingKeyIsAlwaysFalse(Op op) {
      assertThat(holds(Compare.value("missing", op, Bytes.EMPTY))).isFalse();
      assertThat(holds(Compare.value("missing", op, b("x")))).isFalse();
    }

    @Test
    void aDeletedKeyComparesAsMissing() {
      h.delete(Command.Delete.key("k"));
      assertThat(holds(Compare.number("k", Target.VERSION, Op.EQUAL, 0))).isTrue();
      assertThat(holds(Compare.value("k", Op.EQUAL, b("m")))).isFalse();
    }

    @Test
    void valueComparesUseUnsignedByteOrder() {
      h.put("bin", "x");
      h.ok(new Command.Put("bin", Bytes.wrap(new byte[] {(byte) 0xFF}), 0, false));
      assertThat(holds(Compare.value("bin", Op.GREATER, Bytes.wrap(new byte[] {0x01})))).isTrue();
      assertThat(holds(Compare.value("bin", Op.LESS, Bytes.wrap(new byte[] {0x7F})))).isFalse();
    }

    @Test
    void everyCompareMustHold() {
      Compare yes = Compare.number("k", Target.VERSION, Op.EQUAL, 2);
      Compare no = Compare.number("k", Target.VERSION, Op.EQUAL, 3);
      assertThat(h.txn(txn(List.of(yes, yes), List.of(), List.of())).succeeded()).isTrue();
      assertThat(h.txn(txn(List.of(yes, no), List.of(), List.of())).succeeded()).isFalse();
      assertThat(h.txn(txn(List.of(no, yes), List.of(), List.of())).succeeded()).isFalse();
    }

    @Test
    void noComparesMeansSuccess() {
      assertThat(h.txn(txn(List.of(), List.of(), List.of())).succeeded()).isTrue();
    }

    @Test
    void comparesSeeTheStateBeforeTheTransaction() {
      Compare versionTwo = Compare.number("k", Target.VERSION, Op.EQUAL, 2);
      Reply.TxnReply r =
          h.txn(txn(List.of(versionTwo), List.of(Command.Put.of("k", "n")), List.of()));
      assertThat(r.succeeded()).isTrue();
      assertThat(h.txn(txn(List.of(versionTwo), List.of(), List.of())).succeeded()).isFalse();
    }

    @Test
    void compareOnAnInvalidKeyIsRejected() {
      assertThat(h.code(when(Compare.number("", Target.VERSION, Op.EQUAL, 0))))
          .isEqualTo(ErrorCode.EMPTY_KEY);
      assertThat(h.code(when(Compare.number("k".repeat(4097), Target.VERSION, Op.EQUAL, 0))))
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
    }

    @Test
    void aNullValueOperandMeansEmpty() {
      assertThat(new Compare("k", Target.VALUE, Op.EQUAL, null, 0).value()).isEqualTo(Bytes.EMPTY);
    }
  }

  @Nested
  class Branches {
    private Command.Txn casOnVersion(long version) {
      return txn(
          List.of(Compare.number("k", Target.VERSION, Op.EQUAL, version)),
          List.of(Command.Put.of("k", "success"), Read.Range.key("k")),
          List.of(Read.Range.key("k"), Command.Put.of("fail", "1")));
    }

    @Test
    void successBranchRunsWhenComparesHold() {
      h.put("k", "v");
      Reply.TxnReply r = h.txn(casOnVersion(1));
      assertThat(r.succeeded()).isTrue();
      assertThat(r.responses()).hasSize(2);
      assertThat(r.responses().get(0)).isInstanceOf(Reply.PutReply.class);
      assertThat(r.responses().get(1)).isInstanceOf(Reply.RangeReply.class);
      assertThat(h.values()).containsExactly(java.util.Map.entry("k", "success"));
    }

    @Test
    void failureBranchRunsWhenAComparesFails() {
      h.put("k", "v");
      Reply.TxnReply r = h.txn(casOnVersion(7));
      assertThat(r.succeeded()).isFalse();
      assertThat(r.responses()).hasSize(2);
      assertThat(((Reply.RangeReply) r.responses().get(0)).kvs())
          .extracting(kv -> kv.value().utf8String())
          .containsExactly("v");
      assertThat(r.responses().get(1)).isInstanceOf(Reply.PutReply.class);
      assertThat(h.values()).containsOnlyKeys("k", "fail").containsEntry("k", "v");
    }

    @Test
    void aRangeAfterAPutInTheSameTransactionSeesIt() {
      h.put("p/1", "old");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(
                      Read.Range.prefix("p/"),
                      Command.Put.of("p/2", "new"),
                      Harness.putWithPrev("p/1", "newer"),
                      Read.Range.prefix("p/"),
                      Read.Range.key("p/2")),
                  List.of()));
      Reply.RangeReply before = (Reply.RangeReply) r.responses().get(0);
      Reply.RangeReply after = (Reply.RangeReply) r.responses().get(3);
      assertThat(before.kvs()).extracting(KeyValue::key).containsExactly("p/1");
      assertThat(after.kvs())
          .containsExactly(h.get("p/1"), h.get("p/2"))
          .extracting(kv -> kv.value().utf8String())
          .containsExactly("newer", "new");
      assertThat(after.count()).isEqualTo(2);
      assertThat(((Reply.RangeReply) r.responses().get(4)).kvs()).containsExactly(h.get("p/2"));
      assertThat(((Reply.PutReply) r.responses().get(2)).prevKv().value()).isEqualTo(b("old"));
    }

    @Test
    void aRangeAfterADeleteInTheSameTransactionDoesNotSeeTheKey() {
      h.put("p/1", "v");
      h.put("p/2", "v");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(
                      Command.Delete.key("p/1"), Read.Range.prefix("p/"), Read.Range.key("p/1")),
                  List.of()));
      assertThat(((Reply.RangeReply) r.responses().get(1)).kvs())
          .extracting(KeyValue::key)
          .containsExactly("p/2");
      assertThat(((Reply.RangeReply) r.responses().get(2)).kvs()).isEmpty();
    }

    @Test
    void rangeShapingAppliesToTheTransactionView() {
      h.put("p/1", "v");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(
                      Command.Put.of("p/2", "v"),
                      Command.Put.of("p/3", "v"),
                      new Read.Range("p/", "p0", 2, 0, true, false),
                      new Read.Range("p/", "p0", 0, 0, false, true)),
                  List.of()));
      Reply.RangeReply limited = (Reply.RangeReply) r.responses().get(2);
      assertThat(limited.kvs()).extracting(KeyValue::key).containsExactly("p/1", "p/2");
      assertThat(limited.kvs()).allSatisfy(kv -> assertThat(kv.value()).isEqualTo(Bytes.EMPTY));
      assertThat(limited.more()).isTrue();
      assertThat(limited.count()).isEqualTo(3);
      Reply.RangeReply counted = (Reply.RangeReply) r.responses().get(3);
      assertThat(counted.kvs()).isEmpty();
      assertThat(counted.count()).isEqualTo(3);
    }

    @Test
    void aRangeAtAnExplicitOldRevisionIgnoresTheTransactionsWrites() {
      h.put("k", "1");
      h.put("k", "2");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(Command.Put.of("k", "3"), at(Read.Range.key("k"), 1)),
                  List.of()));
      assertThat(((Reply.RangeReply) r.responses().get(1)).kvs())
          .extracting(kv -> kv.value().utf8String())
          .containsExactly("1");
    }

    @Test
    void allWritesOfATransactionShareOneRevisionAndOneEvent() {
      h.put("d/1", "v");
      h.put("d/2", "v");
      h.put("x", "v");
      long rev = h.rev();
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(
                      Command.Put.of("z", "1"),
                      Command.Delete.prefix("d/"),
                      Command.Put.of("x", "2"),
                      Command.Put.of("a", "3")),
                  List.of()));
      assertThat(h.rev()).isEqualTo(rev + 1);
      assertThat(r.revision()).isEqualTo(rev + 1);
      assertThat(r.responses()).allSatisfy(x -> assertThat(x.revision()).isEqualTo(rev + 1));
      assertThat(h.log.get(h.log.size() - 1))
          .isEqualTo(
              new Event.KeysChanged(
                  rev + 1,
                  List.of(
                      new Event.Mutation.Put("a", b("3"), 0),
                      new Event.Mutation.Delete("d/1"),
                      new Event.Mutation.Delete("d/2"),
                      new Event.Mutation.Put("x", b("2"), 0),
                      new Event.Mutation.Put("z", b("1"), 0))));
      assertThat(h.get("x")).isEqualTo(new KeyValue("x", b("2"), 3, rev + 1, 2, 0));
      assertThat(((Reply.PutReply) r.responses().get(2)).kv()).isEqualTo(h.get("x"));
      assertThat(((Reply.DeleteReply) r.responses().get(1)).deleted()).isEqualTo(2);
    }

    @Test
    void aReadOnlyBranchSpendsNoRevision() {
      h.put("k", "v");
      long rev = h.rev();
      Reply.TxnReply r =
          h.txn(txn(List.of(), List.of(Read.Range.key("k"), Read.Range.prefix("")), List.of()));
      assertThat(h.rev()).isEqualTo(rev);
      assertThat(r.revision()).isEqualTo(rev);
      assertThat(h.log).hasSize(1);
    }

    @Test
    void aBranchOfDeletesThatMatchNothingSpendsNoRevision() {
      h.put("k", "v");
      long rev = h.rev();
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(
                      Command.Delete.key("missing"),
                      Read.Range.key("k"),
                      Command.Delete.prefix("nope")),
                  List.of()));
      assertThat(h.rev()).isEqualTo(rev);
      assertThat(r.revision()).isEqualTo(rev);
      assertThat(r.responses()).allSatisfy(x -> assertThat(x.revision()).isEqualTo(rev));
    }

    @Test
    void anEmptyChosenBranchSpendsNoRevision() {
      h.put("k", "v");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(Compare.number("k", Target.VERSION, Op.EQUAL, 9)),
                  List.of(Command.Put.of("k", "w")),
                  List.of()));
      assertThat(r.succeeded()).isFalse();
      assertThat(r.responses()).isEmpty();
      assertThat(h.rev()).isEqualTo(1);
    }

    @Test
    void deletingTheSameKeyTwiceDeletesItOnce() {
      h.put("k", "v");
      Reply.TxnReply r =
          h.txn(
              txn(
                  List.of(),
                  List.of(Command.Delete.key("k"), Command.Delete.prefix("k")),
                  List.of()));
      assertThat(r.responses())
          .extracting(x -> ((Reply.DeleteReply) x).deleted())
          .containsExactly(1L, 0L);
      assertThat(h.get("k")).isNull();
    }

    @Test
    void aTransactionCanMoveKeysBetweenLeases() {
      long a = h.grant(10);
      long b2 = h.grant(10);
      h.put("k", "v", a);
      h.txn(
          txn(
              List.of(Compare.number("k", Target.LEASE, Op.EQUAL, a)),
              List.of(new Command.Put("k", b("v"), b2, false)),
              List.of()));
      assertThat(h.query(new Read.LeaseInfo(a), Reply.LeaseInfoReply.class).keys()).isEmpty();
      assertThat(h.query(new Read.LeaseInfo(b2), Reply.LeaseInfoReply.class).keys())
          .containsExactly("k");
    }
  }

  @Nested
  class Validation {
    @Test
    void exactlyTheOpLimitIsAcceptedAndOneMoreIsRejected() {
      Harness small = Harness.with(new Limits(64, 64, 4, 1, 10));
      Compare c = Compare.number("k", Target.VERSION, Op.EQUAL, 0);
      small.ok(txn(List.of(c, c), List.of(Command.Put.of("a", "1")), List.of(Read.Range.key("a"))));
      assertThat(
              small.code(
                  txn(
                      List.of(c, c),
                      List.of(Command.Put.of("a", "1")),
                      List.of(Read.Range.key("a"), Read.Range.key("b")))))
          .isEqualTo(ErrorCode.TOO_MANY_TXN_OPS);
      assertThat(small.code(txn(List.of(c, c, c, c, c), List.of(), List.of())))
          .as("compares count too")
          .isEqualTo(ErrorCode.TOO_MANY_TXN_OPS);
    }

    @Test
    void theDefaultLimitIs128Ops() {
      List<Command.TxnOp> ops = new ArrayList<>();
      for (int i = 0; i < 128; i++) {
        ops.add(Command.Put.of("k" + i, "v"));
      }
      assertThat(h.txn(txn(List.of(), ops, List.of())).responses()).hasSize(128);
      ops.add(Read.Range.key("k0"));
      assertThat(h.code(txn(List.of(), ops, List.of()))).isEqualTo(ErrorCode.TOO_MANY_TXN_OPS);
    }

    @Test
    void theSameKeyPutTwiceIsRejected() {
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(Command.Put.of("k", "1"), Command.Put.of("k", "2")),
                      List.of())))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
    }

    @Test
    void aPutAndADeleteOfTheSameKeyAreRejectedInEitherOrder() {
      h.put("k", "v");
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(Command.Put.of("k", "1"), Command.Delete.key("k")),
                      List.of())))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(Command.Delete.key("k"), Command.Put.of("k", "1")),
                      List.of())))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
    }

    @Test
    void aPutInsideADeletedRangeIsRejected() {
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(Command.Delete.prefix("p/"), Command.Put.of("p/x", "1")),
                      List.of())))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(
                          new Command.Delete("", KeyRange.UNBOUNDED, false),
                          Command.Put.of("any", "1")),
                      List.of())))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
    }

    @Test
    void aPutOutsideADeletedRangeIsFine() {
      h.put("p/x", "v");
      h.txn(
          txn(
              List.of(),
              List.of(Command.Delete.prefix("p/"), Command.Put.of("p0", "1")),
              List.of()));
      assertThat(h.keys()).containsExactly("p0");
    }

    @Test
    void duplicatesAcrossBranchesAreFine() {
      h.txn(txn(List.of(), List.of(Command.Put.of("k", "1")), List.of(Command.Put.of("k", "2"))));
      assertThat(h.values()).containsEntry("k", "1");
    }

    @Test
    void anInvalidOpInTheBranchNotTakenStillRejectsTheTransaction() {
      assertThat(h.code(txn(List.of(), List.of(), List.of(Command.Put.of("", "v")))))
          .isEqualTo(ErrorCode.EMPTY_KEY);
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(),
                      List.of(Command.Put.of("k", "1"), Command.Put.of("k", "2")))))
          .isEqualTo(ErrorCode.DUPLICATE_KEY_IN_TXN);
    }

    @Test
    void anUnknownLeaseIsRejectedOnlyInTheBranchTaken() {
      Command.TxnOp leased = new Command.Put("k", b("v"), 77, false);
      assertThat(h.code(txn(List.of(), List.of(leased), List.of())))
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
      Reply.TxnReply r = h.txn(txn(List.of(), List.of(Command.Put.of("k", "v")), List.of(leased)));
      assertThat(r.succeeded()).isTrue();
    }

    @Test
    void aRangeOpThatQueryWouldRefuseRefusesTheTransaction() {
      h.put("k", "v");
      assertThat(h.code(txn(List.of(), List.of(Read.Range.key("")), List.of())))
          .isEqualTo(ErrorCode.EMPTY_KEY);
      assertThat(
              h.code(
                  txn(List.of(), List.of(Command.Put.of("a", "1"), Read.Range.key("")), List.of())))
          .isEqualTo(ErrorCode.EMPTY_KEY);
      assertThat(h.code(txn(List.of(), List.of(Read.Range.key("k".repeat(4097))), List.of())))
          .isEqualTo(ErrorCode.KEY_TOO_LARGE);
      assertThat(h.code(txn(List.of(), List.of(at(Read.Range.key("k"), 5)), List.of())))
          .isEqualTo(ErrorCode.FUTURE_REVISION);
      assertThat(
              h.code(
                  txn(
                      List.of(),
                      List.of(new Read.Range("k", null, -1, 0, false, false)),
                      List.of())))
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void aRangeOpBelowTheCompactRevisionIsRejected() {
      h.put("k", "1");
      h.put("k", "2");
      h.ok(new Command.Compact(2));
      assertThat(h.code(txn(List.of(), List.of(at(Read.Range.key("k"), 1)), List.of())))
          .isEqualTo(ErrorCode.COMPACTED);
    }

    @Test
    void theOpListsAreCopied() {
      List<Command.TxnOp> ops = new ArrayList<>(List.of(Command.Put.of("k", "v")));
      Command.Txn t = txn(Collections.emptyList(), ops, List.of());
      ops.add(Command.Put.of("x", "y"));
      assertThat(t.success()).hasSize(1);
    }
  }
}
