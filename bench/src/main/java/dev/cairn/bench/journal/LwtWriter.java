package dev.cairn.bench.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * A persistent actor that, once recovered, persists batches of {@code batchSize} events back to
 * back, one write in flight: the next {@code persistAll} is called from the handler of the last
 * event of the previous one. It reports each completed write to its {@link WriteWindow}, stops when
 * the window is closed, and completes {@code stopped} with its highest sequence number; a failed or
 * rejected write completes it exceptionally.
 */
final class LwtWriter extends AbstractPersistentActor {

  /** The message that starts the writing, sent to itself once recovered. */
  private enum Go {
    GO
  }

  private final String persistenceId;
  private final List<byte[]> batch;
  private final WriteWindow window;
  private final CompletableFuture<Long> stopped;

  private LwtWriter(
      String persistenceId,
      int batchSize,
      byte[] payload,
      WriteWindow window,
      CompletableFuture<Long> stopped) {
    this.persistenceId = persistenceId;
    this.batch = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      batch.add(payload);
    }
    this.window = window;
    this.stopped = stopped;
  }

  static Props props(
      String persistenceId,
      int batchSize,
      byte[] payload,
      WriteWindow window,
      CompletableFuture<Long> stopped) {
    return Props.create(
        LwtWriter.class, () -> new LwtWriter(persistenceId, batchSize, payload, window, stopped));
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(RecoveryCompleted.class, done -> self().tell(Go.GO, self()))
        .matchAny(event -> {})
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder().matchEquals(Go.GO, go -> write()).build();
  }

  private void write() {
    if (!window.running()) {
      stopped.complete(lastSequenceNr());
      context().stop(self());
      return;
    }
    long start = System.nanoTime();
    int[] left = {batch.size()};
    persistAll(
        batch,
        event -> {
          if (--left[0] == 0) {
            window.completed(batch.size(), System.nanoTime() - start);
            write();
          }
        });
  }

  @Override
  public void onPersistFailure(Throwable cause, Object event, long seqNr) {
    stopped.completeExceptionally(cause);
    super.onPersistFailure(cause, event, seqNr);
  }

  @Override
  public void onPersistRejected(Throwable cause, Object event, long seqNr) {
    stopped.completeExceptionally(cause);
    super.onPersistRejected(cause, event, seqNr);
  }
}
