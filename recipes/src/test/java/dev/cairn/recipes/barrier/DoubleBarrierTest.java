package dev.cairn.recipes.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.RecipeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class DoubleBarrierTest extends RecipeTest {
  final DoubleBarrier barrier = new DoubleBarrier(client);

  CompletableFuture<DoubleBarrier.Entered> enter(String name, long lease, int count) {
    return barrier.enter(name, lease, count, null).toCompletableFuture();
  }

  DoubleBarrier.State status(String name) throws Exception {
    return get(barrier.status(name));
  }

  @Test
  void nobodyPassesBeforeCountMembersHaveEntered() throws Exception {
    List<CompletableFuture<DoubleBarrier.Entered>> in = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      in.add(enter("b", lease(), 4));
      int n = i + 1;
      await(() -> status("b").members().size() == n);
      assertThat(in).noneMatch(CompletableFuture::isDone);
    }
    assertThat(status("b").round()).isZero();
    in.add(enter("b", lease(), 4));
    long round = in.get(0).get(30, TimeUnit.SECONDS).round();
    for (CompletableFuture<DoubleBarrier.Entered> e : in) {
      assertThat(e.get(30, TimeUnit.SECONDS).round()).isEqualTo(round).isPositive();
    }
    assertThat(status("b").round()).isEqualTo(round);
  }

  @Test
  void leaveReturnsOnlyOnceEveryMemberHasLeft() throws Exception {
    long a = lease();
    long b = lease();
    long c = lease();
    CompletableFuture.allOf(enter("l", a, 3), enter("l", b, 3), enter("l", c, 3))
        .get(30, TimeUnit.SECONDS);
    CompletableFuture<Long> la = barrier.leave("l", a, null).toCompletableFuture();
    await(() -> status("l").members().size() == 2);
    CompletableFuture<Long> lb = barrier.leave("l", b, null).toCompletableFuture();
    await(() -> status("l").members().size() == 1);
    assertThat(la).isNotDone();
    assertThat(lb).isNotDone();
    get(barrier.leave("l", c, null));
    la.get(30, TimeUnit.SECONDS);
    lb.get(30, TimeUnit.SECONDS);
    await(() -> status("l").round() == 0);
  }

  @Test
  void aMemberWhoseLeaseExpiresInsideHasLeft() throws Exception {
    long a = lease();
    long doomed = lease();
    CompletableFuture.allOf(enter("x", a, 2), enter("x", doomed, 2)).get(30, TimeUnit.SECONDS);
    CompletableFuture<Long> la = barrier.leave("x", a, null).toCompletableFuture();
    await(() -> status("x").members().size() == 1);
    assertThat(la).isNotDone();
    client.expire(doomed);
    la.get(30, TimeUnit.SECONDS);
    await(() -> status("x").round() == 0);
  }

  @Test
  void aMemberWhoseLeaseExpiresBeforeTheBarrierFillsNoLongerCounts() throws Exception {
    CompletableFuture<DoubleBarrier.Entered> a = enter("f", lease(), 3);
    long doomed = lease();
    CompletableFuture<DoubleBarrier.Entered> gone = enter("f", doomed, 3);
    await(() -> status("f").members().size() == 2);
    client.expire(doomed);
    assertThat(failure(gone)).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    CompletableFuture<DoubleBarrier.Entered> c = enter("f", lease(), 3);
    await(() -> status("f").members().size() == 2);
    assertThat(a).isNotDone();
    assertThat(c).isNotDone();
    CompletableFuture<DoubleBarrier.Entered> d = enter("f", lease(), 3);
    CompletableFuture.allOf(a, c, d).get(30, TimeUnit.SECONDS);
  }

  @Test
  void anEnterThatTimesOutIsWithdrawnAndDoesNotCount() throws Exception {
    assertThat(failure(barrier.enter("t", lease(), 2, Duration.ofMillis(300))))
        .isEqualTo(ErrorCode.BARRIER_TIMEOUT);
    assertThat(status("t").members()).isEmpty();
    assertThat(failure(barrier.enter("t", lease(), 2, Duration.ZERO)))
        .isEqualTo(ErrorCode.BARRIER_TIMEOUT);
    assertThat(status("t").members()).isEmpty();
    CompletableFuture<DoubleBarrier.Entered> a = enter("t", lease(), 2);
    await(() -> status("t").members().size() == 1);
    assertThat(a).isNotDone();
    get(barrier.enter("t", lease(), 2, Duration.ZERO)); // the second member: a try that fills it
    a.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aMemberWithAnotherCountIsRefusedAndWithdrawn() throws Exception {
    CompletableFuture<DoubleBarrier.Entered> a = enter("m", lease(), 2);
    await(() -> status("m").members().size() == 1);
    assertThat(failure(barrier.enter("m", lease(), 1, null))).isEqualTo(ErrorCode.COUNT_MISMATCH);
    assertThat(status("m").members()).hasSize(1);
    assertThat(a).isNotDone();
    enter("m", lease(), 2).get(30, TimeUnit.SECONDS);
    a.get(30, TimeUnit.SECONDS);
  }

  @Test
  void exactlyCountPassAndALaterMemberWaitsForTheNextRound() throws Exception {
    long a = lease();
    long b = lease();
    CompletableFuture.allOf(enter("r", a, 2), enter("r", b, 2)).get(30, TimeUnit.SECONDS);
    long first = status("r").round();
    CompletableFuture<DoubleBarrier.Entered> c = enter("r", lease(), 2);
    CompletableFuture<DoubleBarrier.Entered> d = enter("r", lease(), 2);
    await(() -> status("r").members().size() == 4);
    assertThat(c).isNotDone();
    assertThat(d).isNotDone();
    CompletableFuture<Long> la = barrier.leave("r", a, null).toCompletableFuture();
    get(barrier.leave("r", b, null));
    la.get(30, TimeUnit.SECONDS);
    assertThat(c.get(30, TimeUnit.SECONDS).round()).isGreaterThan(first);
    assertThat(d.get(30, TimeUnit.SECONDS).round()).isEqualTo(c.get().round());
  }

  @Test
  void aLeaveOfANonMemberIsRefused() throws Exception {
    assertThat(failure(barrier.leave("n", lease(), null))).isEqualTo(ErrorCode.NOT_MEMBER);
  }

  /**
   * Members loop enter → leave at once, round after round. Each member counts its arrival before it
   * enters and its departure before it leaves: nobody may pass an enter before every member has
   * arrived in that round, nor a leave before every member has started to leave.
   */
  @Test
  void roundsOfConcurrentMembersNeverPassEarly() throws Exception {
    int members = 6;
    int rounds = 8;
    AtomicIntegerArray arrived = new AtomicIntegerArray(rounds);
    AtomicIntegerArray departing = new AtomicIntegerArray(rounds);
    AtomicInteger early = new AtomicInteger();
    concurrently(
        members,
        100,
        m -> {
          long l = lease();
          for (int r = 0; r < rounds; r++) {
            arrived.incrementAndGet(r);
            get(barrier.enter("loop", l, members, null));
            if (arrived.get(r) != members) {
              early.incrementAndGet();
            }
            departing.incrementAndGet(r);
            get(barrier.leave("loop", l, null));
            if (departing.get(r) != members) {
              early.incrementAndGet();
            }
          }
        });
    assertThat(early.get()).isZero();
    for (int r = 0; r < rounds; r++) {
      assertThat(arrived.get(r)).isEqualTo(members);
    }
    await(() -> status("loop").members().isEmpty() && status("loop").round() == 0);
  }
}
