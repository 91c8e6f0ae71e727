package dev.cairn.persistence.journal;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.NonPersistentRepr;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import scala.PartialFunction;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;

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
  private final Duration callTimeout;
  private final Object answering = new Object();
  private final DueWrites due;
  private Cancellable dueChecks;

  /**
   * Writes received while the writer was idle, to be written on this thread at {@link WriteHere}.
   */
  private final List<JournalProtocol.WriteMessages> here = new ArrayList<>();

  /**
   * To self after the first write that found the writer idle: the writes the mailbox holds by then
   * are written together.
   */
  private enum WriteHere {
    INSTANCE
  }

  /** Checks for writes past {@code call-timeout}; to self every {@link #checkInterval}. */
  private enum CheckDue {
    INSTANCE
  }

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
    this.callTimeout =
        config.hasPath("circuit-breaker.call-timeout")
            ? config.getDuration("circuit-breaker.call-timeout")
            : Duration.ofSeconds(10);
    this.due = new DueWrites(callTimeout.toNanos());
    JournalConditions.get(context().system()).register(configPath, store);
  }

  /**
   * Answers writes itself, from the log's writer thread; everything else goes through Pekko's
   * journal. Pekko's path for a write wraps it in a circuit breaker, maps and completes its future
   * on the dispatcher and orders the answers through a resequencer actor: hand-offs between the
   * force and the persistent actor hearing of it, while the actor keeps no other write in flight.
   * That round trip, more than the force, set the pace of a busy leader's group commit. The answers
   * are the ones Pekko sends, in its order, and a write the disk does not finish within {@code
   * circuit-breaker.call-timeout} fails as it would under Pekko's breaker. Pekko keeps one write in
   * flight per persistent actor, and one write's answers go out whole before another's, so each
   * actor sees its answers in Pekko's order; answers to different actors may cross (as with Pekko's
   * {@code write-response-global-order = off}).
   */
  @Override
  public void aroundReceive(PartialFunction<Object, BoxedUnit> receive, Object msg) {
    if (msg instanceof JournalProtocol.WriteMessages w) {
      if (!here.isEmpty()) {
        here.add(w);
      } else if (store.idle()) {
        // The writer is idle: this thread will write, with whatever else the mailbox holds now.
        here.add(w);
        self().tell(WriteHere.INSTANCE, self());
      } else {
        write(w);
      }
    } else if (msg == WriteHere.INSTANCE) {
      if (!here.isEmpty()) {
        writeHere();
      }
    } else if (msg == CheckDue.INSTANCE) {
      due.expire(System.nanoTime());
    } else {
      if (!here.isEmpty()) {
        writeHere(); // writes received before this message are submitted before it
      }
      super.aroundReceive(receive, msg);
    }
  }

  /** A write's envelopes, each atomic write's outcome so far, and the records to store. */
  private record Prepared(
      JournalProtocol.WriteMessages w,
      List<PersistentEnvelope> envelopes,
      List<Optional<Exception>> results,
      List<ForcedLog.EncodedWrite> accepted) {}

  /** Writes the writer's queue: the usual way while the writer is busy. */
  private void write(JournalProtocol.WriteMessages w) {
    Prepared p = prepare(w);
    answerWhenStored(
        p,
        p.accepted().isEmpty()
            ? CompletableFuture.completedFuture(null)
            : store.append(p.accepted()));
  }

  /**
   * Writes what {@link #here} collected, on this thread when the writer is still idle (one group,
   * one force), through the queue otherwise.
   */
  private void writeHere() {
    List<Prepared> prepared = new ArrayList<>(here.size());
    List<List<ForcedLog.EncodedWrite>> batches = new ArrayList<>(here.size());
    for (JournalProtocol.WriteMessages w : here) {
      Prepared p = prepare(w);
      prepared.add(p);
      batches.add(p.accepted());
    }
    here.clear();
    List<CompletableFuture<Void>> stored = store.appendHere(batches);
    for (int i = 0; i < prepared.size(); i++) {
      answerWhenStored(prepared.get(i), stored.get(i));
    }
  }

  private Prepared prepare(JournalProtocol.WriteMessages w) {
    List<PersistentEnvelope> envelopes = CollectionConverters.asJava(w.messages());
    List<Optional<Exception>> results = new ArrayList<>();
    List<ForcedLog.EncodedWrite> accepted = new ArrayList<>();
    try {
      encode(CollectionConverters.asJava(preparePersistentBatch(w.messages())), results, accepted);
    } catch (RuntimeException e) {
      // As Pekko does: a batch that cannot be prepared (an event adapter failed) is rejected.
      results.clear();
      accepted.clear();
      for (PersistentEnvelope m : envelopes) {
        if (m instanceof AtomicWrite) {
          results.add(Optional.of(e));
        }
      }
    }
    return new Prepared(w, envelopes, results, accepted);
  }

  private void answerWhenStored(Prepared p, CompletableFuture<Void> stored) {
    CompletableFuture<List<Optional<Exception>>> result = stored.thenApply(done -> p.results());
    ActorRef self = self();
    // As Pekko's circuit breaker would: a write the disk does not finish (a hung device) fails
    // after call-timeout (at most a check interval later), so its actor stops instead of waiting
    // forever.
    due.add(result, System.nanoTime());
    result.whenComplete(
        (outcome, err) -> {
          // One write's answers at a time, whole: the actor may send its next write as soon as
          // it has WriteMessagesSuccessful, and that write's answers (at once, when it holds
          // only deferAsync handlers) must not overtake the rest of this one's.
          synchronized (answering) {
            answer(p.w(), p.envelopes(), outcome, err, self);
          }
        });
  }

  /** Tells the writing actor how its write went, as Pekko's journal would (and in its order). */
  private void answer(
      JournalProtocol.WriteMessages w,
      List<PersistentEnvelope> envelopes,
      List<Optional<Exception>> outcome,
      Throwable err,
      ActorRef self) {
    ActorRef to = w.persistentActor();
    int id = w.actorInstanceId();
    Throwable cause = null;
    Iterator<Optional<Exception>> results = null;
    if (err != null) {
      cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof TimeoutException) {
        cause =
            new TimeoutException(
                "the journal did not force the write within "
                    + callTimeout.toMillis()
                    + " ms (circuit-breaker.call-timeout)");
      }
      int atomicWrites = (int) envelopes.stream().filter(m -> m instanceof AtomicWrite).count();
      to.tell(new JournalProtocol.WriteMessagesFailed(cause, atomicWrites), self);
    } else {
      to.tell(JournalProtocol.WriteMessagesSuccessful$.MODULE$, self);
      results = outcome.iterator();
    }
    for (PersistentEnvelope m : envelopes) {
      if (m instanceof AtomicWrite a) {
        Optional<Exception> rejected = results == null ? Optional.empty() : results.next();
        for (PersistentRepr p : CollectionConverters.asJava(a.payload())) {
          Object answer;
          if (cause != null) {
            answer = new JournalProtocol.WriteMessageFailure(p, cause, id);
          } else if (rejected.isPresent()) {
            answer = new JournalProtocol.WriteMessageRejected(p, rejected.get(), id);
          } else {
            answer = new JournalProtocol.WriteMessageSuccess(p, id);
          }
          to.tell(answer, p.sender());
        }
      } else if (m instanceof NonPersistentRepr r) {
        to.tell(new JournalProtocol.LoopMessageSuccess(r.payload(), id), r.sender());
      }
    }
  }

  /** Pekko's entry for writes; {@link #aroundReceive} answers them without it. */
  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(
      Iterable<AtomicWrite> messages) {
    return FutureConverters.asScala(
        append(messages).thenApply(r -> (Iterable<Optional<Exception>>) r));
  }

  /**
   * Encodes {@code messages} and appends the accepted ones; completes, once they are forced, with
   * one outcome per atomic write (empty: written).
   */
  private CompletableFuture<List<Optional<Exception>>> append(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<ForcedLog.EncodedWrite> accepted = new ArrayList<>();
    encode(messages, results, accepted);
    if (accepted.isEmpty()) {
      return CompletableFuture.completedFuture(results);
    }
    return store.append(accepted).thenApply(done -> results);
  }

  /**
   * Encodes {@code messages} into {@code accepted}, adding one outcome per atomic write to {@code
   * results} (empty: to be written).
   */
  private void encode(
      Iterable<AtomicWrite> messages,
      List<Optional<Exception>> results,
      List<ForcedLog.EncodedWrite> accepted) {
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

  /** How often writes are checked against {@code call-timeout}: a tenth of it, at most 1 s. */
  private Duration checkInterval() {
    Duration tenth = callTimeout.dividedBy(10);
    return tenth.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : tenth;
  }

  @Override
  public void preStart() throws Exception {
    super.preStart();
    Duration every = checkInterval();
    dueChecks =
        context()
            .system()
            .scheduler()
            .scheduleWithFixedDelay(
                every, every, self(), CheckDue.INSTANCE, context().dispatcher(), self());
  }

  @Override
  public void postStop() throws Exception {
    if (dueChecks != null) {
      dueChecks.cancel();
    }
    if (!here.isEmpty()) {
      writeHere(); // before the log closes: queued, they are written on close
    }
    JournalConditions.get(context().system()).unregister(pluginId, store);
    try {
      store.close();
    } finally {
      super.postStop();
    }
  }
}
