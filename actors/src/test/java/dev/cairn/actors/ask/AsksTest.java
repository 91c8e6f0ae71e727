package dev.cairn.actors.ask;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AsksTest {
  private static final Duration T = Duration.ofSeconds(5);

  private final ActorSystem system = ActorSystem.create("asks-test");

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  /**
   * The thread a stage chained on {@code ask}'s answer runs on. The stage is chained before the
   * answer comes (the probe answers only after), as in a server under load.
   */
  private String threadOfAnswer(Function<ActorRef, CompletionStage<Object>> ask) throws Exception {
    TestKit probe = new TestKit(system);
    CompletionStage<Object> answer = ask.apply(probe.getRef());
    var thread = answer.thenApply(a -> a + " on " + Thread.currentThread().getName());
    probe.expectMsg("hello");
    probe.reply("hi");
    return thread.toCompletableFuture().get(T.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void answersContinueOnTheGivenDispatcherNotTheCommonPool() throws Exception {
    String thread = threadOfAnswer(to -> Asks.ask(to, "hello", T, system.dispatcher()));
    assertTrue(thread.startsWith("hi on asks-test-pekko.actor.default-dispatcher-"), thread);
  }

  /**
   * Answers once {@code chained} opens, then stays in its turn until {@code continued} opens (or 5
   * s pass each).
   */
  static final class AnswersAndWaits extends AbstractActor {
    private final CountDownLatch chained;
    private final CountDownLatch continued;
    private final AtomicReference<String> turnThread;

    AnswersAndWaits(
        CountDownLatch chained, CountDownLatch continued, AtomicReference<String> turnThread) {
      this.chained = chained;
      this.continued = continued;
      this.turnThread = turnThread;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .matchAny(
              m -> {
                chained.await(5, TimeUnit.SECONDS);
                turnThread.set(Thread.currentThread().getName());
                getSender().tell(m, getSelf());
                continued.await(5, TimeUnit.SECONDS);
              })
          .build();
    }
  }

  @Test
  void whatIsChainedToAnAnswerRunsOutsideTheAnsweringActorsTurn() throws Exception {
    // A leader answers from its own turn: what a request does with the answer (rendering it, the
    // next request of a recipe) must not run there, on the namespace's single writer.
    CountDownLatch chained = new CountDownLatch(1);
    CountDownLatch continued = new CountDownLatch(1);
    AtomicReference<String> turnThread = new AtomicReference<>();
    ActorRef leader =
        system.actorOf(
            Props.create(
                AnswersAndWaits.class, () -> new AnswersAndWaits(chained, continued, turnThread)));
    var ranOn =
        Asks.ask(leader, "hello", T, system.dispatcher())
            .thenApply(
                a -> {
                  String thread = Thread.currentThread().getName();
                  continued.countDown();
                  return thread;
                });
    chained.countDown();
    String thread = ranOn.get(T.toMillis(), TimeUnit.MILLISECONDS);
    assertNotEquals(turnThread.get(), thread, "ran inside the leader's turn");
    assertTrue(thread.startsWith("asks-test-pekko.actor.default-dispatcher-"), thread);
  }

  @Test
  void pekkosOwnJavaAskContinuesElsewhere() throws Exception {
    // Why Asks exists: this is the hop it removes (to the common pool, or on a machine of two
    // cores, a new thread per stage). If Pekko ever stops making it, Asks can go.
    String thread = threadOfAnswer(to -> Patterns.ask(to, "hello", T));
    assertFalse(thread.contains("asks-test") || thread.endsWith(" on main"), thread);
  }

  @Test
  void noAnswerFailsWithAnAskTimeout() {
    ActorRef silent = new TestKit(system).getRef();
    var answer = Asks.ask(silent, "anyone?", Duration.ofMillis(100), system.dispatcher());
    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> answer.get(T.toMillis(), TimeUnit.MILLISECONDS));
    assertInstanceOf(AskTimeoutException.class, e.getCause());
  }
}
