package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutageTest {

  private static final long MS = 1_000_000L;
  private static final long KILL = 10_000 * MS;

  private static Writers.Ack ack(long sentMs, long ackedMs, String member) {
    return new Writers.Ack(0, KILL + sentMs * MS, KILL + ackedMs * MS, member);
  }

  private static Writers.Failure failure(long sentMs, long endedMs, boolean timeout) {
    return new Writers.Failure(
        0, KILL + sentMs * MS, KILL + endedMs * MS, timeout, "why " + endedMs);
  }

  @Test
  void runsFromTheKillToTheFirstAckOfAWriteSentAfterIt() {
    Outage o =
        Outage.of(
            KILL,
            List.of(
                ack(-30, -20, "a"),
                ack(-12, -5, "a"), // last ack before the kill
                ack(-2, 1, "a"), // sent before the kill, answered just after: does not end it
                ack(900, 1_300, "c"),
                ack(700, 1_200, "b"), // the first one sent after the kill to be acknowledged
                ack(1_250, 1_260, "b")),
            List.of(
                failure(-50, -40, false), // before the kill
                failure(-1, 500, true),
                failure(550, 560, false),
                failure(1_100, 1_250, false))); // after the outage ended
    assertThat(o.recovered()).isTrue();
    assertThat(o.unavailableMs()).isEqualTo(1_200.0);
    assertThat(o.gapMs()).isEqualTo(1_205.0);
    // the late answer at +1 ms broke the gap: the longest silence ran from it to +1,200
    assertThat(o.silenceMs()).isEqualTo(1_199.0);
    assertThat(o.firstAckMember()).isEqualTo("b");
    assertThat(o.failedWrites()).isEqualTo(2);
    assertThat(o.timedOut()).isEqualTo(1);
    assertThat(o.sampleFailure()).isEqualTo("why 500");
    assertThat(o.silenceFromMs()).isEqualTo(1.0);
    // the failures within the outage, in the order they ended, in ms from the kill
    assertThat(o.failureLog()).extracting(f -> f.get("ended_ms")).containsExactly(500.0, 560.0);
    assertThat(o.failureLog().get(0))
        .containsEntry("sent_ms", -1.0)
        .containsEntry("timeout", true)
        .containsEntry("why", "why 500");
  }

  @Test
  void afterAGracefulShutdownItEndsWithAWriteSentAfterTheExitAndItsSilenceIsTheLongestPause() {
    long exit = KILL + 250 * MS;
    Outage o =
        Outage.of(
            KILL,
            exit,
            List.of(
                ack(-10, -5, "a"),
                ack(1, 100, "a"), // the leader still answers while it shuts down
                ack(101, 200, "b"), // a successor answers
                ack(205, 300, "b"), // sent before the exit: does not end the outage
                ack(270, 700, "b")), // the first one sent after the exit
            List.of(failure(210, 260, false)));
    assertThat(o.unavailableMs()).isEqualTo(700.0);
    assertThat(o.gapMs()).isEqualTo(705.0);
    assertThat(o.silenceMs()).isEqualTo(400.0);
    assertThat(o.silenceFromMs()).isEqualTo(300.0);
    assertThat(o.failedWrites()).isEqualTo(1);
  }

  @Test
  void withoutAnAckAfterTheKillItIsNotRecovered() {
    Outage o = Outage.of(KILL, List.of(ack(-12, -5, "a"), ack(-2, 1, "a")), List.of());
    assertThat(o.recovered()).isFalse();
    assertThat(o.unavailableMs()).isEqualTo(-1);
    assertThat(o.gapMs()).isEqualTo(-1);
    assertThat(o.silenceMs()).isEqualTo(-1);
    assertThat(o.firstAckMember()).isNull();
  }

  @Test
  void withoutAnAckBeforeTheKillThereIsNoGap() {
    Outage o = Outage.of(KILL, List.of(ack(10, 400, "a")), List.of());
    assertThat(o.unavailableMs()).isEqualTo(400.0);
    assertThat(o.gapMs()).isEqualTo(-1);
  }
}
