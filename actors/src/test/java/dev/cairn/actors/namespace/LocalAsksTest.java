package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.keyspace.Read;
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

  /** Answers each ask to its reply-to with the request itself. */
  static final class Echo extends AbstractActor {
    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(NamespaceLeader.Ask.class, a -> a.replyTo().tell(a.request(), getSelf()))
          .build();
    }
  }

  @Test
  void anAnsweredAskCompletesWithTheAnswerAndLeavesNothingBehind() throws Exception {
    LocalAsks asks = new LocalAsks(system, Duration.ofSeconds(5));
    ActorRef echo = system.actorOf(Props.create(Echo.class, Echo::new));
    NamespaceLeader.Query q = new NamespaceLeader.Query(Read.Range.key("k"));
    for (int i = 0; i < 100; i++) {
      Object answer = asks.ask(echo, q).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(answer).isEqualTo(q);
    }
    assertThat(asks.outstanding()).isZero();
  }

  @Test
  void anUnansweredAskFailsWithAnAskTimeoutAfterItsDeadline() {
    LocalAsks asks = new LocalAsks(system, Duration.ofMillis(300));
    TestKit silent = new TestKit(system);
    long start = System.nanoTime();
    CompletableFuture<Object> f =
        asks.ask(silent.getRef(), new NamespaceLeader.Progress()).toCompletableFuture();
    silent.expectMsgClass(NamespaceLeader.Ask.class);
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AskTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(asks.outstanding()).isZero();
  }
}
