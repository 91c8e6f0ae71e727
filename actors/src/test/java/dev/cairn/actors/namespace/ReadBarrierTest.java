package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.persistence.barrier.LastWrite;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The barrier's rule (whose write is newest) and its sharing of probes, with a scripted journal.
 */
class ReadBarrierTest {
  private static final Duration T = Duration.ofSeconds(10);
  private final ActorSystem system = ActorSystem.create("barrier-test");
  private final TestKit journal = new TestKit(system);
  private final AtomicInteger superseded = new AtomicInteger();

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private ReadBarrier barrier(long recoveredTo) {
    return new ReadBarrier(
        journal.getRef(),
        "ns|a",
        recoveredTo,
        "me",
        T,
        system.dispatcher(),
        superseded::incrementAndGet);
  }

  private static boolean get(java.util.concurrent.CompletionStage<Boolean> s) throws Exception {
    return s.toCompletableFuture().get(T.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void ownNewestWriteOrNothingSinceRecoveryConfirms() throws Exception {
    ReadBarrier b = barrier(7);
    var mine = b.confirm();
    journal.expectMsg(new LastWrite.Probe("ns|a", 7));
    journal.reply(new LastWrite.Found(9, "me"));
    assertThat(get(mine)).isTrue();

    var untouched = b.confirm();
    journal.expectMsgClass(LastWrite.Probe.class);
    journal.reply(new LastWrite.Found(7, "predecessor"));
    assertThat(get(untouched)).isTrue();
    assertThat(superseded).hasValue(0);
  }

  @Test
  void anotherWritersNewerEventSupersedesOnceAndForAll() throws Exception {
    ReadBarrier b = barrier(7);
    var first = b.confirm();
    journal.expectMsgClass(LastWrite.Probe.class);
    journal.reply(new LastWrite.Found(8, "successor"));
    assertThat(get(first)).isFalse();
    // The leader is told after the answers went out.
    new TestKit(system).awaitCond(T, Duration.ofMillis(10), () -> superseded.get() == 1);
    assertThat(get(b.confirm())).as("no probe needed any more").isFalse();
    journal.expectNoMessage(Duration.ofMillis(100));
    assertThat(superseded).hasValue(1);
  }

  @Test
  void requestsDuringAProbeShareTheNextOne() throws Exception {
    ReadBarrier b = barrier(0);
    var early = b.confirm();
    journal.expectMsgClass(LastWrite.Probe.class);
    // These arrived after the probe was sent: its answer may predate writes they must see.
    CompletableFuture<Boolean> late1 = b.confirm().toCompletableFuture();
    CompletableFuture<Boolean> late2 = b.confirm().toCompletableFuture();
    journal.reply(new LastWrite.Found(0, ""));
    assertThat(get(early)).isTrue();
    assertThat(late1).isNotDone();
    journal.expectMsgClass(LastWrite.Probe.class);
    journal.reply(new LastWrite.Found(3, "me"));
    assertThat(get(late1)).isTrue();
    assertThat(get(late2)).isTrue();
    journal.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void noAnswerFromTheJournalFailsTheWaitingRequests() {
    ReadBarrier b =
        new ReadBarrier(
            journal.getRef(),
            "ns|a",
            0,
            "me",
            Duration.ofMillis(200),
            system.dispatcher(),
            () -> {});
    var pending = b.confirm().toCompletableFuture();
    journal.expectMsgClass(LastWrite.Probe.class);
    assertThat(pending).failsWithin(T);
  }
}
