package dev.cairn.actors.ask;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.util.Timeout;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;

/**
 * Asks whose answers are plain {@link CompletableFuture}s, continued on an executor of our
 * choosing.
 *
 * <p>Pekko's Java {@code Patterns.ask} converts a Scala future into a {@code CompletionStage} whose
 * every non-async method ({@code thenApply}, {@code thenCompose}, {@code whenComplete}…) runs as
 * its async twin on the JDK common pool. Each answer then wakes a common-pool thread: a hop and a
 * context switch per request, on threads that do nothing else. The futures made here complete on
 * the given execution context (the actors' dispatcher, whose threads are already busy), and the
 * stages chained on them run where they complete, like any {@code CompletableFuture}'s.
 */
public final class Asks {
  private Asks() {}

  /**
   * Sends {@code message} to {@code to} and completes with its answer, or fails with an {@link
   * org.apache.pekko.pattern.AskTimeoutException} after {@code timeout}; completes on {@code ec}.
   */
  public static CompletableFuture<Object> ask(
      ActorRef to, Object message, Duration timeout, ExecutionContext ec) {
    return complete(Patterns.ask(to, message, Timeout.create(timeout)), ec);
  }

  /** A {@link CompletableFuture} completed on {@code ec} with {@code f}'s outcome. */
  private static <T> CompletableFuture<T> complete(Future<T> f, ExecutionContext ec) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    f.onComplete(
        t -> {
          if (t.isSuccess()) {
            answer.complete(t.get());
          } else {
            answer.completeExceptionally(t.failed().get());
          }
          return BoxedUnit.UNIT;
        },
        ec);
    return answer;
  }
}
