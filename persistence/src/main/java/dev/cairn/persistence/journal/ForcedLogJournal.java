package dev.cairn.persistence.journal;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Pekko Persistence journal plugin on a {@link ForcedLog}: every acknowledged event has been forced
 * to stable storage (with the default {@code fsync = on}).
 *
 * <p>Contract, on top of the {@link ForcedLog} guarantees:
 *
 * <ul>
 *   <li>Each {@link AtomicWrite} becomes one log record, so it is replayed whole or not at all. A
 *       write whose events cannot be serialized (or exceed the record limit) is rejected, and so is
 *       every later write of the same persistence id in the call: storing them would leave a gap
 *       (sequence number N missing, N+1 durable) that no recovery could explain. Writes of other
 *       persistence ids in the call proceed. (This is stricter than the Pekko TCK's optional
 *       "reject non-serializable events" case, which expects the write after the rejected one to be
 *       stored; that case is switched off for this journal.)
 *   <li>Calls of {@code asyncWriteMessages} are not awaited by the journal actor; they queue to the
 *       log's writer and share one force per group. Replies arrive only after the force.
 *   <li>{@code asyncReadHighestSequenceNr} is ordered after all writes submitted before it, and is
 *       never lowered by deletes. Deletes write a durable marker; replay skips deleted events.
 *   <li>Events are stored as Pekko's own serialized {@code PersistentRepr} (payload serializer,
 *       manifest, writer uuid, timestamp and metadata included).
 *   <li>While the log cannot write (disk full, I/O error), writes fail at once with {@link
 *       JournalUnwritableException} and nothing of them is stored; the log resumes by itself. Its
 *       condition is published in {@link JournalConditions} under the plugin id.
 *   <li>The journal directory is locked while the actor lives; the lock is released in {@code
 *       postStop} so an ActorSystem restarted in the same JVM can reopen it. A locked or damaged
 *       directory fails actor creation with the reason.
 * </ul>
 *
 * <p>Replays read the log on the {@code replay-dispatcher} (blocking file reads); once the log is
 * open, the actor itself never blocks.
 */
public final class ForcedLogJournal extends AsyncWriteJournal {

  /**
   * Fails at once with a {@link JournalLockedException} when another process holds {@code dir}; a
   * server calls this before starting so that it refuses to run instead of timing out later.
   */
  public static void ensureNotLocked(java.nio.file.Path dir) throws java.io.IOException {
    if (java.nio.file.Files.isDirectory(dir)) {
      try (DirectoryLock ignored = DirectoryLock.acquire(dir)) {
        // released at once: only the check was wanted
      }
    }
  }

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final ForcedLog store;
  private final String pluginId;
  private final String replayDispatcher;

  public ForcedLogJournal(Config config, String configPath) throws Exception {
    JournalSettings settings = JournalSettings.fromConfig(config, configPath);
    if (!settings.fsync()) {
      log.warning(
          "journal plugin [{}] runs with fsync = off: acknowledged events can be lost on power "
              + "failure. Never use this outside tests.",
          configPath);
    }
    this.store = ForcedLog.open(settings);
    this.pluginId = configPath;
    this.replayDispatcher = config.getString("replay-dispatcher");
    JournalConditions.get(context().system()).register(configPath, store);
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(
      Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<ForcedLog.EncodedWrite> accepted = new ArrayList<>();
    Map<String, Long> rejectedAt = new HashMap<>();
    for (AtomicWrite write : messages) {
      Long rejected = rejectedAt.get(write.persistenceId());
      if (rejected != null) {
        // Storing it would leave a gap: sequence number `rejected` missing, later ones durable.
        results.add(
            Optional.of(
                new IllegalStateException(
                    "not written: atomic write at sequence number "
                        + rejected
                        + " of "
                        + write.persistenceId()
                        + " was rejected earlier in the same call")));
        continue;
      }
      try {
        accepted.add(ForcedLog.encode(toWrite(write)));
        results.add(Optional.empty());
      } catch (Exception e) {
        log.warning(
            "rejecting atomic write of [{}] seqNr {}-{} and any later write of it in this call: {}",
            write.persistenceId(),
            write.lowestSequenceNr(),
            write.highestSequenceNr(),
            e.toString());
        rejectedAt.put(write.persistenceId(), write.lowestSequenceNr());
        results.add(Optional.of(e));
      }
    }
    Iterable<Optional<Exception>> outcome = results;
    if (accepted.isEmpty()) {
      return Futures.successful(outcome);
    }
    return FutureConverters.asScala(store.append(accepted).thenApply(done -> outcome));
  }

  private ForcedLog.Write toWrite(AtomicWrite write) throws Exception {
    List<ForcedLog.Event> events = new ArrayList<>(write.size());
    Iterator<PersistentRepr> it = CollectionConverters.asJava(write.payload()).iterator();
    while (it.hasNext()) {
      PersistentRepr repr = it.next();
      byte[] bytes = serialization.serialize(repr).get();
      events.add(new ForcedLog.Event(repr.sequenceNr(), bytes));
    }
    return new ForcedLog.Write(write.persistenceId(), events);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(store.deleteTo(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId,
      long fromSequenceNr,
      long toSequenceNr,
      long max,
      Consumer<PersistentRepr> replayCallback) {
    ExecutionContext ec = context().system().dispatchers().lookup(replayDispatcher);
    return Futures.future(
        () -> {
          store.replay(
              persistenceId,
              fromSequenceNr,
              toSequenceNr,
              max,
              (seqNr, bytes) ->
                  replayCallback.accept(
                      serialization.deserialize(bytes, PersistentRepr.class).get()));
          return null;
        },
        ec);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return FutureConverters.asScala(store.highestSequenceNr(persistenceId));
  }

  @Override
  public void postStop() throws Exception {
    JournalConditions.get(context().system()).unregister(pluginId, store);
    try {
      store.close();
    } finally {
      super.postStop();
    }
  }
}
