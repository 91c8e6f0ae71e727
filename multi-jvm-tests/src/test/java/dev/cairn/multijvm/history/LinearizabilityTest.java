package dev.cairn.multijvm.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.multijvm.history.Linearizability.Verdict;
import dev.cairn.multijvm.history.Op.Kind;
import dev.cairn.multijvm.history.Op.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearizabilityTest {
  private static final long INF = Long.MAX_VALUE;

  private static Op w(int c, String v, long from, long to) {
    return new Op(c, "k", Kind.WRITE, v, null, to == INF ? Outcome.UNKNOWN : Outcome.OK, from, to);
  }

  private static Op r(int c, String v, long from, long to) {
    return new Op(c, "k", Kind.READ, v, null, Outcome.OK, from, to);
  }

  private static Op cas(int c, String exp, String v, Outcome o, long from, long to) {
    return new Op(c, "k", Kind.CAS, v, exp, o, from, to);
  }

  private static Verdict verdict(Op... ops) {
    return Linearizability.check(List.of(ops)).verdict();
  }

  @Nested
  class Reads {
    @Test
    void readAfterWriteSeesIt() {
      assertEquals(Verdict.LINEARIZABLE, verdict(w(1, "a", 0, 10), r(2, "a", 20, 30)));
    }

    @Test
    void staleReadAfterAcknowledgedWriteIsNot() {
      assertEquals(Verdict.NOT_LINEARIZABLE, verdict(w(1, "a", 0, 10), r(2, null, 20, 30)));
    }

    @Test
    void readConcurrentWithWriteMaySeeEither() {
      assertEquals(Verdict.LINEARIZABLE, verdict(w(1, "a", 0, 100), r(2, null, 10, 20)));
      assertEquals(Verdict.LINEARIZABLE, verdict(w(1, "a", 0, 100), r(2, "a", 10, 20)));
    }

    @Test
    void aReadMayNotGoBackAfterAnotherSawTheNewValue() {
      // Both reads overlap the write, but the second began after the first had seen "a".
      assertEquals(
          Verdict.NOT_LINEARIZABLE,
          verdict(w(1, "a", 0, 100), r(2, "a", 10, 20), r(3, null, 30, 40)));
    }

    @Test
    void aValueNeverWrittenIsNot() {
      assertEquals(Verdict.NOT_LINEARIZABLE, verdict(w(1, "a", 0, 10), r(2, "b", 20, 30)));
    }

    @Test
    void aWriteIsNotSeenBeforeItWasInvoked() {
      assertEquals(Verdict.NOT_LINEARIZABLE, verdict(r(2, "a", 0, 10), w(1, "a", 20, 30)));
    }
  }

  @Nested
  class UnknownOutcomes {
    @Test
    void aTimedOutWriteMayNeverHappen() {
      assertEquals(Verdict.LINEARIZABLE, verdict(w(1, "a", 0, INF), r(2, null, 50, 60)));
    }

    @Test
    void aTimedOutWriteMayHappenLate() {
      assertEquals(
          Verdict.LINEARIZABLE, verdict(w(1, "a", 0, INF), r(2, null, 50, 60), r(2, "a", 70, 80)));
    }

    @Test
    void onceSeenItStays() {
      assertEquals(
          Verdict.NOT_LINEARIZABLE,
          verdict(w(1, "a", 0, INF), r(2, "a", 50, 60), r(2, null, 70, 80)));
    }
  }

  @Nested
  class CompareAndSet {
    @Test
    void twoSwapsFromOneValueCannotBothWin() {
      assertEquals(
          Verdict.NOT_LINEARIZABLE,
          verdict(
              w(1, "0", 0, 10),
              cas(2, "0", "x", Outcome.OK, 20, 40),
              cas(3, "0", "y", Outcome.OK, 20, 40)));
    }

    @Test
    void theLoserSeesTheWinner() {
      assertEquals(
          Verdict.LINEARIZABLE,
          verdict(
              w(1, "0", 0, 10),
              cas(2, "0", "x", Outcome.OK, 20, 40),
              cas(3, "0", "y", Outcome.FAILED, 20, 40),
              r(1, "x", 50, 60)));
    }

    @Test
    void aFailedSwapOnTheExpectedValueIsNot() {
      assertEquals(
          Verdict.NOT_LINEARIZABLE,
          verdict(w(1, "0", 0, 10), cas(2, "0", "x", Outcome.FAILED, 20, 40)));
    }

    @Test
    void anUnknownSwapMayHaveWon() {
      assertEquals(
          Verdict.LINEARIZABLE,
          verdict(w(1, "0", 0, 10), cas(2, "0", "x", Outcome.UNKNOWN, 20, INF), r(1, "x", 50, 60)));
    }
  }

  @Test
  void keysAreJudgedApart() {
    Op other = new Op(9, "other", Kind.READ, "zzz", null, Outcome.OK, 0, 1);
    Linearizability.Result result =
        Linearizability.check(List.of(w(1, "a", 0, 10), r(2, "a", 20, 30), other));
    assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict());
    assertEquals("other", result.key());
  }

  @Test
  void aBudgetTooSmallSaysUnknownNotLinearizable() {
    List<Op> ops = randomHistory(new Random(7), 8, 200, false);
    assertEquals(Verdict.UNKNOWN, Linearizability.check(ops, 10).verdict());
  }

  /**
   * Histories of a simulated atomic register with overlapping client intervals: linearizable by
   * construction; with one read's answer changed to a value it could not have seen, not.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomHistoriesOfAnAtomicRegister(long seed) {
    Random random = new Random(seed);
    List<Op> good = randomHistory(random, 10, 2_000, false);
    assertEquals(Verdict.LINEARIZABLE, Linearizability.check(good).verdict(), "seed " + seed);
    List<Op> bad = randomHistory(new Random(seed), 10, 2_000, true);
    assertEquals(Verdict.NOT_LINEARIZABLE, Linearizability.check(bad).verdict(), "seed " + seed);
  }

  /**
   * {@code clients} clients, each with one operation in flight at a time; every operation takes
   * effect at one instant inside its interval, in order, on a register that starts absent. With
   * {@code stale}, one read in the second half returns the value before the last write although
   * both of the last two writes had completed, each before the next was invoked and the last before
   * the read was invoked, so no order can explain it.
   */
  private static List<Op> randomHistory(Random random, int clients, int total, boolean stale) {
    long[] busyUntil = new long[clients];
    String register = null;
    Op previousWrite = null;
    Op lastWrite = null;
    boolean corrupted = false;
    List<Op> ops = new ArrayList<>();
    long now = 0;
    for (int i = 0; i < total; i++) {
      now += 1 + random.nextInt(3);
      int c = random.nextInt(clients);
      long invoke = Math.max(now, busyUntil[c] + 1);
      long effect = invoke + random.nextInt(20);
      long complete = effect + random.nextInt(20);
      now = effect;
      busyUntil[c] = complete;
      int kind = random.nextInt(10);
      Op op;
      if (kind < 4 || (kind < 5 && register == null)) {
        op = new Op(c, "k", Kind.WRITE, "v" + i, null, Outcome.OK, invoke, complete);
      } else if (kind < 5) {
        String expect = random.nextBoolean() ? register : "nope";
        boolean match = Objects.equals(expect, register);
        op =
            new Op(
                c,
                "k",
                Kind.CAS,
                "v" + i,
                expect,
                match ? Outcome.OK : Outcome.FAILED,
                invoke,
                complete);
      } else {
        String seen = register;
        if (stale
            && !corrupted
            && i > total / 2
            && previousWrite != null
            && previousWrite.completedAt() < lastWrite.invokedAt()
            && lastWrite.completedAt() < invoke) {
          seen = previousWrite.value();
          corrupted = true;
        }
        op = new Op(c, "k", Kind.READ, seen, null, Outcome.OK, invoke, complete);
      }
      if (op.kind() == Kind.WRITE || (op.kind() == Kind.CAS && op.outcome() == Outcome.OK)) {
        register = op.value();
        previousWrite = lastWrite;
        lastWrite = op;
      }
      ops.add(op);
    }
    assertEquals(stale, corrupted, "the generator found no place for a stale read");
    return ops;
  }
}
