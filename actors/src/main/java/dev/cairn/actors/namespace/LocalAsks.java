package dev.cairn.actors.namespace;

import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorPath;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ScalaActorRef;
import org.apache.pekko.pattern.AskTimeoutException;

/**
 * Asks of leaders on this node, answered into a future without a temporary actor or a timer per
 * request: {@code Patterns.ask} schedules (and cancels) a timeout on the scheduler for every call,
 * which on two cores costs more than the read it waits for. Here each ask is an entry in a map, and
 * one periodic sweep fails the ones past their deadline.
 *
 * <p>The reply-to ref travels inside {@link NamespaceLeader.AskLocally}, never as a message's
 * sender, so it is never recorded with a persisted event.
 */
final class LocalAsks {
  private final ConcurrentHashMap<Long, ReplyRef<?>> outstanding = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final long timeoutNanos;
  private final Duration timeout;
  private final ActorPath root;

  LocalAsks(ActorSystem system, Duration timeout) {
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    this.root = system.deadLetters().path().root().child("local-ask");
    Duration sweep = Duration.ofMillis(Math.max(100, timeout.toMillis() / 4));
    system.scheduler().scheduleWithFixedDelay(sweep, sweep, this::sweep, system.dispatcher());
  }

  /**
   * Sends {@code request} to {@code leader}; completes with its answer, or fails with an ask
   * timeout or (an answer outside the request's reply family) a {@link ClassCastException}.
   */
  <R extends Reply> CompletionStage<R> ask(ActorRef leader, NamespaceLeader.Ask<R> request) {
    long id = ids.incrementAndGet();
    ReplyRef<R> ref = new ReplyRef<>(id, System.nanoTime() + timeoutNanos, request.replyType());
    outstanding.put(id, ref);
    leader.tell(new NamespaceLeader.AskLocally(request, ref), ActorRef.noSender());
    return ref.future;
  }

  /** Requests waiting for an answer (for tests). */
  int outstanding() {
    return outstanding.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (ReplyRef<?> r : outstanding.values()) {
      // Removed first, then failed: whoever sees the failure sees the ask gone too.
      if (now - r.deadline >= 0 && outstanding.remove(r.id, r)) {
        r.future.completeExceptionally(
            new AskTimeoutException(
                "the namespace leader did not answer within " + timeout.toMillis() + " ms"));
      }
    }
  }

  /** Completes its future with the first message sent to it. */
  final class ReplyRef<R> extends ActorRef implements ScalaActorRef {
    private final long id;
    private final long deadline;
    private final Class<R> type;
    final CompletableFuture<R> future = new CompletableFuture<>();

    ReplyRef(long id, long deadline, Class<R> type) {
      this.id = id;
      this.deadline = deadline;
      this.type = type;
    }

    @Override
    public ActorPath path() {
      return root.child(Long.toString(id));
    }

    @Override
    public void $bang(Object message, ActorRef sender) {
      outstanding.remove(id);
      if (type.isInstance(message)) {
        future.complete(type.cast(message));
      } else {
        future.completeExceptionally(
            new ClassCastException("not a " + type.getSimpleName() + ": " + message));
      }
    }

    @Override
    public boolean isTerminated() {
      return future.isDone();
    }
  }
}
