package dev.cairn.bench.journal;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * A persistent actor that only recovers: it counts the events the journal replays for its
 * persistence id (those of {@code payloadBytes} bytes apart), completes {@code replayed} with the
 * count and the highest sequence number on recovery, and stops. A failed recovery completes it
 * exceptionally.
 */
final class ReplayCounter extends AbstractPersistentActor {

  /** What a replay gave: events of the expected size, others, and the highest sequence number. */
  record Replayed(long events, long unexpected, long highestSequenceNr) {}

  private final String persistenceId;
  private final int payloadBytes;
  private final CompletableFuture<Replayed> replayed;
  private long events;
  private long unexpected;

  private ReplayCounter(
      String persistenceId, int payloadBytes, CompletableFuture<Replayed> replayed) {
    this.persistenceId = persistenceId;
    this.payloadBytes = payloadBytes;
    this.replayed = replayed;
  }

  static Props props(String persistenceId, int payloadBytes, CompletableFuture<Replayed> replayed) {
    return Props.create(
        ReplayCounter.class, () -> new ReplayCounter(persistenceId, payloadBytes, replayed));
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(
            RecoveryCompleted.class,
            done -> {
              replayed.complete(new Replayed(events, unexpected, lastSequenceNr()));
              context().stop(self());
            })
        .match(byte[].class, e -> e.length == payloadBytes, e -> events++)
        .matchAny(other -> unexpected++)
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder().build();
  }

  @Override
  public void onRecoveryFailure(Throwable cause, scala.Option<Object> event) {
    replayed.completeExceptionally(cause);
    super.onRecoveryFailure(cause, event);
  }
}
