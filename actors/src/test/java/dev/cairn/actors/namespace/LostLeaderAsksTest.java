package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An ask sent through a shard region that has not yet learnt that the leader's node is gone goes to
 * that node and vanishes. While this node's replica names a leader on a downed or removed node, a
 * repeatable ask is sent again after {@link Namespaces#LOST_LEADER_ATTEMPT} instead of waiting out
 * its deadline; a write never is, and neither is a read whose leader's node is a member.
 */
@Timeout(60)
class LostLeaderAsksTest {
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final String NS = "lost";
  private static final Address GONE = new Address("pekko", "gone", "127.0.0.1", 1);

  ActorSystem system;

  @BeforeEach
  void start() throws Exception {
    system = ActorSystem.create("lost-leader-test", OneNode.config(""));
    OneNode.join(system, Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  /**
   * A shard region that loses the first ask it is given, as one still routing to a lost node does,
   * and answers every later one with a rejection naming its number.
   */
  static final class LosingRegion extends AbstractActor {
    private final AtomicInteger asks;

    LosingRegion(AtomicInteger asks) {
      this.asks = asks;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              Namespaces.Envelope.class,
              e -> {
                int n = asks.incrementAndGet();
                if (n > 1) {
                  getSender()
                      .tell(
                          new Reply.Rejected(
                              0, Rejection.of(ErrorCode.UNAVAILABLE, "answer to ask " + n)),
                          getSelf());
                }
              })
          .build();
    }
  }

  /** Namespaces over a {@link LosingRegion}, whose replica of {@link #NS} names {@code leader}. */
  private Namespaces namespaces(AtomicInteger asks, Address leader) {
    ActorRef region =
        system.actorOf(Props.create(LosingRegion.class, () -> new LosingRegion(asks)));
    ActorRef registry = system.deadLetters();
    Namespaces namespaces =
        new Namespaces(
            system,
            region,
            registry,
            DEADLINE,
            LocalLeaders.get(system),
            new Keyspace(NamespaceSettings.fromConfig(system.settings().config()).limits()),
            new KnownNamespaces());
    namespaces.serveLocallyFrom(
        new Namespaces.LocalCopies() {
          @Override
          public CompletionStage<Reply> read(String namespace, Read read) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void tell(String namespace, NamespaceLeader.WatchRequest request, ActorRef s) {
            throw new UnsupportedOperationException();
          }

          @Override
          public Address leaderAddress(String namespace) {
            return leader;
          }
        });
    return namespaces;
  }

  private static Reply await(CompletionStage<Reply> reply) throws Exception {
    return reply.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aReadWhoseLeaderRanOnALostNodeIsSentAgainBeforeItsDeadline() throws Exception {
    AtomicInteger asks = new AtomicInteger();
    Namespaces namespaces = namespaces(asks, GONE);
    long start = System.nanoTime();
    Reply r = await(namespaces.read(NS, Read.Range.key("k")));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(r).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) r).rejection().detail()).isEqualTo("answer to ask 2");
    assertThat(asks).hasValue(2);
    assertThat(ms).isLessThan(DEADLINE.toMillis());
  }

  @Test
  void aWriteIsNeverSentAgainAndWaitsOutItsDeadline() {
    AtomicInteger asks = new AtomicInteger();
    Namespaces namespaces = namespaces(asks, GONE);
    assertThatThrownBy(() -> await(namespaces.write(NS, Command.Put.of("k", "v"))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AskTimeoutException.class);
    assertThat(asks).hasValue(1);
  }

  @Test
  void aReadWhoseLeaderRunsOnAMemberWaitsForIt() {
    AtomicInteger asks = new AtomicInteger();
    Namespaces namespaces = namespaces(asks, Cluster.get(system).selfAddress());
    assertThatThrownBy(() -> await(namespaces.read(NS, Read.Range.key("k"))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AskTimeoutException.class);
    assertThat(asks).hasValue(1);
  }
}
