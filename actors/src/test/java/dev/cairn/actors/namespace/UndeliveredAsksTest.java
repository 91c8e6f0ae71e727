package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

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
 * shard region handing its shard off — is answered {@link NamespaceLeader.NotExecuted} at once,
 * well before the asker's timeout, and {@link Namespaces} then sends it again to the next leader.
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

  private static void assertNotExecuted(Object answer) {
    assertThat(answer).isInstanceOf(NamespaceLeader.NotExecuted.class);
  }

  @Test
  void anAskSentToAStoppedLeaderIsAnsweredNotExecuted() throws Exception {
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
    assertNotExecuted(asker.receiveOne(T));
    leader.tell(new NamespaceLeader.Query(Read.Range.key("k")), asker.getRef());
    assertNotExecuted(asker.receiveOne(T));
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
    assertNotExecuted(after.receiveOne(T));
    // Through Namespaces, a write sent now reaches the stopping leader or, once it has stopped,
    // the shard's next one: refused ones are sent again until the next leader executes it, once.
    Reply late =
        namespaces
            .write(Namespaces.DEFAULT, Command.Put.of("k", "late"))
            .toCompletableFuture()
            .get(T.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(late).isInstanceOf(Reply.PutReply.class);
    Reply r =
        namespaces
            .read(Namespaces.DEFAULT, Read.Range.key("k"))
            .toCompletableFuture()
            .get(T.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(r).isInstanceOf(Reply.RangeReply.class);
    assertThat(((Reply.RangeReply) r).kvs().get(0).value().utf8String()).isEqualTo("late");
    // v, in-flight, late: the refused "late" of the direct ask was not executed, the retried one
    // once.
    assertThat(((Reply.RangeReply) r).kvs().get(0).version()).isEqualTo(3);
    assertThat(LocalLeaders.get(system).get(Namespaces.DEFAULT)).isNotEqualTo(leader);
  }

  @Test
  void anAskARegionDroppedAtHandOffIsAnsweredNotExecutedAndOtherDeadLettersAreLeftAlone()
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
    assertNotExecuted(asker.receiveOne(T));

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
