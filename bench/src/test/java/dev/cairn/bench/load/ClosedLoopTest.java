package dev.cairn.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Completion;
import dev.cairn.bench.load.target.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClosedLoopTest {

  private static final long MS = 1_000_000L;

  private final ScheduledExecutorService server = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    server.shutdownNow();
  }

  /**
   * A channel whose n-th operation (counted from 1) ends after 1 ms with {@code outcomes.apply(n)},
   * or never when null.
   */
  private final class FakeChannel implements ClientChannel {
    final AtomicInteger issued = new AtomicInteger();
    final AtomicInteger aborted = new AtomicInteger();
    final Set<Integer> keys = ConcurrentHashMap.newKeySet();
    final IntFunction<Outcome> outcomes;
    final boolean synchronous;

    FakeChannel(IntFunction<Outcome> outcomes, boolean synchronous) {
      this.outcomes = outcomes;
      this.synchronous = synchronous;
    }

    private void answer(int key, Completion done) {
      keys.add(key);
      Outcome outcome = outcomes.apply(issued.incrementAndGet());
      if (outcome == null) {
        return;
      }
      if (synchronous) {
        done.complete(outcome);
      } else {
        server.schedule(() -> done.complete(outcome), 1, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void put(int key, Completion done) {
      answer(key, done);
    }

    @Override
    public void get(int key, Completion done) {
      answer(key, done);
    }

    @Override
    public void abort() {
      aborted.incrementAndGet();
    }

    @Override
    public void close() {}
  }

  private List<ClientChannel> channels(int n, IntFunction<Outcome> outcomes, boolean synchronous) {
    List<ClientChannel> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new FakeChannel(outcomes, synchronous));
    }
    return list;
  }

  @Test
  void countsSuccessesAndTheirLatencies() throws Exception {
    Measurement m =
        new ClosedLoop(Op.PUT, 1_000 * MS)
            .measure(channels(4, n -> Outcome.OK, false), 100, 100 * MS, 400 * MS);
    assertThat(m.ops()).isGreaterThan(4); // more than one round per client, even on a busy machine
    assertThat(m.errors()).isZero();
    assertThat(m.latencyNanos().getTotalCount()).isEqualTo(m.ops());
    assertThat(m.latencyNanos().getMinValue()).isGreaterThanOrEqualTo(MS);
    // Four clients, each at most one operation per millisecond: a closed loop cannot exceed it.
    assertThat(m.opsPerSecond()).isLessThanOrEqualTo(4_000.0);
  }

  @Test
  void countsFailedAnswersAsErrorsNotOps() throws Exception {
    Measurement m =
        new ClosedLoop(Op.GET, 1_000 * MS)
            .measure(
                channels(4, n -> n % 4 == 0 ? Outcome.FAILED : Outcome.OK, false),
                100,
                50 * MS,
                300 * MS);
    assertThat(m.failed()).isGreaterThan(0);
    double failedShare = (double) m.failed() / (m.failed() + m.ops());
    assertThat(failedShare).isBetween(0.2, 0.3);
    assertThat(m.errors()).isEqualTo(m.failed());
  }

  @Test
  void anUnansweredOperationTimesOutAbortsItsChannelAndTheClientGoesOn() throws Exception {
    FakeChannel stuckOnce = new FakeChannel(n -> n == 2 ? null : Outcome.OK, false);
    Measurement m = new ClosedLoop(Op.PUT, 200 * MS).measure(List.of(stuckOnce), 10, 0, 1_000 * MS);
    // The stuck operation times out; on a loaded machine a late answer may too, and each
    // timeout is an error that aborts the channel before the client goes on.
    assertThat(m.timeouts()).isPositive();
    assertThat(m.errors()).isEqualTo(m.timeouts());
    assertThat(stuckOnce.aborted.get()).isEqualTo(m.timeouts());
    assertThat(m.ops()).isGreaterThan(10);
  }

  @Test
  void connectionFailuresAreCountedAndPacedWithoutRecursion() throws Exception {
    Measurement m =
        new ClosedLoop(Op.PUT, 1_000 * MS)
            .measure(channels(2, n -> Outcome.IO_ERROR, true), 10, 0, 1_000 * MS);
    assertThat(m.ops()).isZero();
    assertThat(m.ioErrors()).isGreaterThan(2);
    // A 10 ms pause after each failure: at most about 100 per client in 1 s, not thousands.
    assertThat(m.ioErrors()).isLessThan(2 * 110);
  }

  @Test
  void synchronousSuccessesDoNotOverflowTheStack() throws Exception {
    Measurement m =
        new ClosedLoop(Op.PUT, 1_000 * MS)
            .measure(channels(1, n -> Outcome.OK, true), 10, 0, 1_000 * MS);
    assertThat(m.ops()).isGreaterThan(1_000);
    assertThat(m.errors()).isZero();
  }

  @Test
  void sweepIssuesEveryKeyExactlyOnce() throws Exception {
    List<ClientChannel> chans = channels(3, n -> Outcome.OK, false);
    Measurement m = new ClosedLoop(Op.LOAD, 1_000 * MS).sweep(chans, 50);
    assertThat(m.ops()).isEqualTo(50);
    Set<Integer> all = ConcurrentHashMap.newKeySet();
    int issued = 0;
    for (ClientChannel c : chans) {
      all.addAll(((FakeChannel) c).keys);
      issued += ((FakeChannel) c).issued.get();
    }
    assertThat(issued).isEqualTo(50);
    assertThat(all).hasSize(50);
  }
}
