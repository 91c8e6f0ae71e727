package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalAsksTest {
  private ActorSystem system;

  @BeforeEach
  void start() {
    system = ActorSystem.create("local-asks");
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  /** Answers each ask to its reply-to with its progress reply, or with the request itself. */
  static final class Echo extends AbstractActor {
    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              NamespaceLeader.AskLocally.class,
              a ->
                  a.replyTo()
                      .tell(
                          a.request() instanceof NamespaceLeader.Progress
                              ? new Reply.ProgressReply(7)
                              : a.request(),
                          getSelf()))
          .build();
    }
  }

  @Test
  void anAnsweredAskCompletesWithTheAnswerAndLeavesNothingBehind() throws Exception {
    LocalAsks asks = new LocalAsks(system, Duration.ofSeconds(5));
    ActorRef echo = system.actorOf(Props.create(Echo.class, Echo::new));
    for (int i = 0; i < 100; i++) {
      Reply.ProgressResult answer =
          asks.ask(echo, new NamespaceLeader.Progress())
              .toCompletableFuture()
              .get(5, TimeUnit.SECONDS);
      assertThat(answer).isEqualTo(new Reply.ProgressReply(7));
    }
    assertThat(asks.outstanding()).isZero();
  }

  @Test
  void anAnswerOutsideTheReplyFamilyFailsTheAsk() {
    LocalAsks asks = new LocalAsks(system, Duration.ofSeconds(5));
    ActorRef echo = system.actorOf(Props.create(Echo.class, Echo::new));
    CompletableFuture<Reply> f =
        asks.ask(echo, new NamespaceLeader.Query(Read.Range.key("k"))).toCompletableFuture();
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ClassCastException.class);
    assertThat(asks.outstanding()).isZero();
  }

  @Test
  void anUnansweredAskFailsWithAnAskTimeoutAfterItsDeadline() {
    LocalAsks asks = new LocalAsks(system, Duration.ofMillis(300));
    TestKit silent = new TestKit(system);
    long start = System.nanoTime();
    CompletableFuture<Reply.ProgressResult> f =
        asks.ask(silent.getRef(), new NamespaceLeader.Progress()).toCompletableFuture();
    silent.expectMsgClass(NamespaceLeader.AskLocally.class);
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AskTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(asks.outstanding()).isZero();
  }
}
