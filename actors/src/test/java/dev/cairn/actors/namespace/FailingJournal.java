package dev.cairn.actors.namespace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.Future;

/**
 * An in-memory journal whose writes fail for the persistence ids in {@link #FAILING}: a disk that
 * refuses one actor's writes while the others go on.
 */
public final class FailingJournal extends AsyncWriteJournal {
  static final java.util.Set<String> FAILING = ConcurrentHashMap.newKeySet();
  private static final java.time.Duration FAILS_AFTER = java.time.Duration.ofMillis(200);
  private final Map<String, List<PersistentRepr>> log = new ConcurrentHashMap<>();

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> writes) {
    for (AtomicWrite w : writes) {
      if (FAILING.contains(w.persistenceId())) {
        // After a while, as a disk's write does: what the writer is sent meanwhile queues
        // behind the write (a failure at once raced the test's next request to the writer).
        java.util.concurrent.CompletableFuture<Iterable<Optional<Exception>>> failed =
            new java.util.concurrent.CompletableFuture<>();
        context()
            .system()
            .scheduler()
            .scheduleOnce(
                FAILS_AFTER,
                () ->
                    failed.completeExceptionally(
                        new java.io.IOException("no space left on device (test)")),
                context().dispatcher());
        return scala.jdk.javaapi.FutureConverters.asScala(failed);
      }
    }
    List<Optional<Exception>> results = new ArrayList<>();
    for (AtomicWrite w : writes) {
      List<PersistentRepr> events =
          log.computeIfAbsent(w.persistenceId(), id -> new CopyOnWriteArrayList<>());
      scala.jdk.javaapi.CollectionConverters.asJava(w.payload()).forEach(events::add);
      results.add(Optional.empty());
    }
    return org.apache.pekko.dispatch.Futures.successful(results);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return org.apache.pekko.dispatch.Futures.successful(null);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId, long from, long to, long max, Consumer<PersistentRepr> callback) {
    long n = 0;
    for (PersistentRepr r : log.getOrDefault(persistenceId, List.of())) {
      if (r.sequenceNr() >= from && r.sequenceNr() <= to && n++ < max) {
        callback.accept(r);
      }
    }
    return org.apache.pekko.dispatch.Futures.successful(null);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long from) {
    List<PersistentRepr> events = log.getOrDefault(persistenceId, List.of());
    return org.apache.pekko.dispatch.Futures.successful(
        events.isEmpty() ? 0L : events.get(events.size() - 1).sequenceNr());
  }
}
