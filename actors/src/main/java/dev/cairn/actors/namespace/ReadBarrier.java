package dev.cairn.actors.namespace;

import dev.cairn.actors.ask.Asks;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.persistence.barrier.LastWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import scala.concurrent.ExecutionContext;

/**
 * Confirms that a leader incarnation has no successor, before it answers a linearizable read or
 * renews a lease. A failure detector can be fooled (a paused JVM, a slow disk): a leader that was
 * paused while another node recovered the namespace and wrote to it must not answer from its old
 * state. The journal is the authority: a probe reads, at quorum, the newest stored event of the
 * namespace and the writer that stored it. The leader is still the leader if that event is its own
 * or is the one it recovered to (nobody has written since); otherwise a successor has written, and
 * the leader is told to stop ({@code onSuperseded}).
 *
 * <p>Like etcd's ReadIndex, probes are shared: a request waits for the first probe that starts
 * after it arrived (the answer must reflect every write acknowledged before the request), so at
 * most one probe is in flight per leader and a second gathers every request that came meanwhile.
 *
 * <p>Thread-safe: confirmed from HTTP threads (published reads) and from the leader.
 */
final class ReadBarrier {

  /** A barrier that confirms at once: the journal cannot have a second writer. */
  static final ReadBarrier NONE = new ReadBarrier(null, "", 0, "", Duration.ZERO, null, () -> {});

  private static final CompletionStage<Boolean> CONFIRMED = CompletableFuture.completedFuture(true);
  private static final CompletionStage<Boolean> SUPERSEDED =
      CompletableFuture.completedFuture(false);

  private final ActorRef journal;
  private final String persistenceId;
  private final long recoveredTo;
  private final String writerUuid;
  private final Duration timeout;
  private final ExecutionContext ec;
  private final Runnable onSuperseded;

  private final Object lock = new Object();
  private List<CompletableFuture<Boolean>> next = new ArrayList<>();
  private boolean probing;
  private volatile boolean superseded;

  /**
   * @param journal the journal plugin actor, which answers {@link LastWrite.Probe}
   * @param recoveredTo the sequence number this incarnation recovered to
   * @param writerUuid the writer uuid this incarnation stamps on its events
   * @param ec where a probe's answer is handled
   * @param onSuperseded run once, on a probe's thread, when a successor is found
   */
  ReadBarrier(
      ActorRef journal,
      String persistenceId,
      long recoveredTo,
      String writerUuid,
      Duration timeout,
      ExecutionContext ec,
      Runnable onSuperseded) {
    this.journal = journal;
    this.persistenceId = persistenceId;
    this.recoveredTo = recoveredTo;
    this.writerUuid = writerUuid;
    this.timeout = timeout;
    this.ec = ec;
    this.onSuperseded = onSuperseded;
  }

  /**
   * The answer to a request whose barrier failed (the journal did not answer in time, or answered
   * with an error): {@code unavailable}, retryable; nothing is answered from an unconfirmed state.
   */
  static Reply.Rejected unconfirmed(long published, Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new Reply.Rejected(
        Math.max(0, published),
        Rejection.of(
            ErrorCode.UNAVAILABLE,
            "could not confirm leadership with the journal: "
                + root.getClass().getSimpleName()
                + ": "
                + root.getMessage()));
  }

  boolean isNone() {
    return journal == null;
  }

  /**
   * Completes with true once a probe that started after this call found no successor, false if one
   * was found (now or before), or exceptionally if the journal did not answer.
   */
  CompletionStage<Boolean> confirm() {
    if (journal == null) {
      return CONFIRMED;
    }
    if (superseded) {
      return SUPERSEDED;
    }
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    boolean start;
    synchronized (lock) {
      next.add(answer);
      start = !probing;
      probing = true;
    }
    if (start) {
      probe();
    }
    return answer;
  }

  private void probe() {
    List<CompletableFuture<Boolean>> batch;
    synchronized (lock) {
      batch = next;
      next = new ArrayList<>();
    }
    Asks.ask(journal, new LastWrite.Probe(persistenceId, Math.max(1, recoveredTo)), timeout, ec)
        .whenComplete(
            (answer, failure) -> {
              boolean found = failure == null && !isCurrent((LastWrite.Found) answer);
              boolean first = found && !superseded;
              superseded |= found;
              for (CompletableFuture<Boolean> f : batch) {
                if (failure != null) {
                  f.completeExceptionally(failure);
                } else {
                  f.complete(!superseded);
                }
              }
              if (first) {
                // After the answers: a leader told to stop first would never send them.
                onSuperseded.run();
              }
              boolean again;
              synchronized (lock) {
                again = !next.isEmpty();
                probing = again;
              }
              if (again) {
                probe();
              }
            });
  }

  /**
   * Nobody else has written: the newest event is this incarnation's own, or the one it recovered to
   * (a successor writes above what it recovered, which is at least that).
   */
  private boolean isCurrent(LastWrite.Found newest) {
    return newest.writerUuid().equals(writerUuid) || newest.sequenceNr() == recoveredTo;
  }
}
