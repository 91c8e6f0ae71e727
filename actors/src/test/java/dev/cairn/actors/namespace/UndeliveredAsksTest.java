package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A request to a leader that never reaches it — sent to a leader that has stopped, or dropped by a
 * shard region handing its shard off — is answered {@code unavailable} at once, well before the
 * asker's timeout.
 */
@Timeout(60)
class UndeliveredAsksTest {
  private static final Duration T = Duration.ofSeconds(10);

  ActorSystem system;
  Namespaces namespaces;

  @BeforeEach
  void start() throws Exception {
    system = ActorSystem.create("undelivered-test", OneNode.config(""));
    namespaces = OneNode.namespaces(system, T);
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  /** Writes {@code k = value} to {@code default} and returns its running leader. */
  private ActorRef leaderAfterWriting(String value) throws Exception {
    assertThat(
            namespaces
                .write(Namespaces.DEFAULT, Command.Put.of("k", value))
                .toCompletableFuture()
                .get(T.toMillis(), TimeUnit.MILLISECONDS))
        .isInstanceOf(Reply.PutReply.class);
    return LocalLeaders.get(system).get(Namespaces.DEFAULT);
  }

  private static void assertUnavailable(Object answer) {
    assertThat(answer).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) answer).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(((Reply.Rejected) answer).rejection().detail()).contains("not executed");
  }

  @Test
  void anAskSentToAStoppedLeaderIsAnsweredUnavailable() throws Exception {
    ActorRef leader = leaderAfterWriting("v");
    assertThat(leader).isNotNull();
    TestKit probe = new TestKit(system);
    probe.watch(leader);
    leader.tell(PoisonPill.getInstance(), ActorRef.noSender());
    probe.expectTerminated(leader);

    // A request already on its way when the leader stopped ends in the dead letters (an ask to
    // an actor known to be terminated fails at once on its own).
    TestKit asker = new TestKit(system);
    leader.tell(new NamespaceLeader.Write(Command.Put.of("k", "lost")), asker.getRef());
    assertUnavailable(asker.receiveOne(T));
    leader.tell(new NamespaceLeader.Query(Read.Range.key("k")), asker.getRef());
    assertUnavailable(asker.receiveOne(T));
  }

  @Test
  void aLeaderToldToStopRefusesWhatFollowsUnexecuted() throws Exception {
    ActorRef leader = leaderAfterWriting("v");
    TestKit before = new TestKit(system);
    TestKit after = new TestKit(system);
    // In one go, so that the first write is still being made when the stop arrives.
    leader.tell(new NamespaceLeader.Write(Command.Put.of("k", "in-flight")), before.getRef());
    leader.tell(NamespaceLeader.handOffStop(), ActorRef.noSender());
    leader.tell(new NamespaceLeader.Write(Command.Put.of("k", "late")), after.getRef());
    assertThat(before.receiveOne(T)).isInstanceOf(Reply.PutReply.class);
    // Refused by the stopping leader, or by the dead letters if it had stopped: never executed.
    assertUnavailable(after.receiveOne(T));
    // Until the next leader runs, a read is refused as unavailable too (the shard did not ask
    // this leader to stop, so it still sends it requests until it has stopped).
    new TestKit(system)
        .awaitAssert(
            T,
            Duration.ofMillis(100),
            () -> {
              Reply r =
                  namespaces
                      .read(Namespaces.DEFAULT, Read.Range.key("k"))
                      .toCompletableFuture()
                      .join();
              assertThat(r).isInstanceOf(Reply.RangeReply.class);
              assertThat(((Reply.RangeReply) r).kvs().get(0).value().utf8String())
                  .isEqualTo("in-flight");
              return null;
            });
  }

  @Test
  void anAskARegionDroppedAtHandOffIsAnsweredUnavailableAndOtherDeadLettersAreLeftAlone()
      throws Exception {
    TestKit asker = new TestKit(system);
    // What a shard region does with the messages it buffered for a shard it hands off.
    system
        .deadLetters()
        .tell(
            new Dropped(
                new Namespaces.Envelope(
                    Namespaces.DEFAULT, new NamespaceLeader.Write(Command.Put.of("k", "v"))),
                "Avoiding reordering of buffered messages at shard handoff",
                asker.getRef(),
                ActorRef.noSender()),
            ActorRef.noSender());
    assertUnavailable(asker.receiveOne(T));

    // Not an ask (a replica's request), and a reply nobody waits for: no answer.
    TestKit other = new TestKit(system);
    system
        .deadLetters()
        .tell(
            new Dropped(
                new Namespaces.Envelope(
                    Namespaces.DEFAULT, new NamespaceLeader.Replicate(0, other.getRef())),
                "handoff",
                other.getRef(),
                ActorRef.noSender()),
            ActorRef.noSender());
    other.expectNoMessage(Duration.ofMillis(500));
  }
}
