package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.b;
import static dev.cairn.core.keyspace.Harness.txn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fence compare: a write guarded by "this lock is still held with this token". */
class KeyspaceFenceTest {
  static final String LOCK = "_cairn/locks/l/";

  Harness h;
  long first;
  long second;

  @BeforeEach
  void setUp() {
    h = Harness.active();
    long a = h.grant(10);
    long b = h.grant(10);
    first = h.put(LOCK + "a", "", a).kv().createRevision(); // the holder
    second = h.put(LOCK + "b", "", b).kv().createRevision(); // a waiter
    h.put("data", "0");
  }

  private static Command.Txn fencedPut(long token) {
    return txn(
        List.of(Compare.fence(LOCK, token)),
        List.of(new Command.Put("data", b("1"), 0, false)),
        List.of(new Command.Put("data", b("failure branch"), 0, false)));
  }

  @Test
  void theHoldersTokenLetsTheWriteThrough() {
    assertThat(h.txn(fencedPut(first)).succeeded()).isTrue();
    assertThat(h.state.get("data").value()).isEqualTo(b("1"));
  }

  @Test
  void aWaitersTokenIsFencedAndNoBranchRuns() {
    long rev = h.rev();
    assertThat(h.code(fencedPut(second))).isEqualTo(ErrorCode.FENCED);
    assertThat(h.rev()).isEqualTo(rev);
    assertThat(h.state.get("data").value()).isEqualTo(b("0"));
  }

  @Test
  void aFormerHoldersTokenIsFencedOnceTheNextIsGranted() {
    h.delete(Command.Delete.key(LOCK + "a"));
    assertThat(h.code(fencedPut(first))).isEqualTo(ErrorCode.FENCED);
    assertThat(h.txn(fencedPut(second)).succeeded()).isTrue();
  }

  @Test
  void aFenceOnALockHeldByNobodyIsFenced() {
    h.delete(Command.Delete.prefix(LOCK));
    assertThat(h.code(fencedPut(first))).isEqualTo(ErrorCode.FENCED);
    assertThat(h.code(fencedPut(0))).isEqualTo(ErrorCode.FENCED);
  }

  @Test
  void aLockWhoseNameExtendsAnotherDoesNotFenceIt() {
    // "_cairn/locks/l/" does not cover "_cairn/locks/l2/..."
    h.put("_cairn/locks/l2/x", "");
    assertThat(h.txn(fencedPut(first)).succeeded()).isTrue();
  }

  @Test
  void aFenceWithAHolderValueHoldsOnlyWhileTheHoldersKeyHoldsIt() {
    String rw = "_cairn/rwlocks/r/";
    long reader = h.put(rw + "a", "read").kv().createRevision();
    Command.Txn asWriter =
        txn(
            List.of(Compare.fence(rw, reader, b("write"))),
            List.of(new Command.Put("data", b("w"), 0, false)),
            List.of());
    assertThat(h.code(asWriter)).isEqualTo(ErrorCode.FENCED); // the oldest key, but a reader's
    h.delete(Command.Delete.key(rw + "a"));
    long writer = h.put(rw + "b", "write").kv().createRevision();
    assertThat(
            h.txn(
                    txn(
                        List.of(Compare.fence(rw, writer, b("write"))),
                        List.of(new Command.Put("data", b("w"), 0, false)),
                        List.of()))
                .succeeded())
        .isTrue();
  }

  @Test
  void aFenceIsDecidedWithTheOtherComparesInOneRevision() {
    KeyValue data = h.state.get("data");
    Command.Txn t =
        txn(
            List.of(
                Compare.fence(LOCK, first),
                Compare.number(
                    "data", Compare.Target.MOD_REVISION, Compare.Op.EQUAL, data.modRevision() + 1)),
            List.of(new Command.Put("data", b("success"), 0, false)),
            List.of(new Command.Put("data", b("failure"), 0, false)));
    assertThat(h.txn(t).succeeded()).isFalse();
    assertThat(h.state.get("data").value()).isEqualTo(b("failure"));
  }
}
