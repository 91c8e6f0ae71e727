package dev.cairn.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import dev.cairn.persistence.barrier.LastWrite;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Status;
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
 * Pekko Persistence journal plugin on Cassandra whose appends are fenced: each append is a
 * lightweight transaction ({@code INSERT ... IF NOT EXISTS}), so a sequence number that is already
 * taken is refused and two writers of one persistence id can never both commit.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Rows are keyed {@code ((persistence_id, partition_nr), sequence_nr)} with {@code
 *       partition_nr = (sequence_nr - 1) / partition-size}: the key of an event depends only on its
 *       persistence id and sequence number, so a second writer of the same number hits the same
 *       row.
 *   <li>The writes of one persistence id in one call are grouped into conditional batches (all
 *       inserts {@code IF NOT EXISTS}, one partition per batch, whole {@link AtomicWrite}s up to
 *       {@code max-batch-bytes}), executed one after the other; Cassandra applies a conditional
 *       batch entirely or not at all. An {@link AtomicWrite} crossing a partition boundary is split
 *       at it (one batch per partition), so it is atomic only against refusal, not against a
 *       Cassandra failure between its two batches.
 *   <li>If a batch is refused (a sequence number is taken), nothing of it is written, no later
 *       batch of that persistence id is tried, and the whole call fails with an {@link
 *       AppendRefusedException}: every persistent actor of the call stops (onPersistFailure) and
 *       none of its events is acknowledged. Writes of one persistence id are applied in call order;
 *       a write queued behind a failed one fails too.
 *   <li>A write whose events cannot be serialized is rejected (onPersistRejected), and so is every
 *       later write of the same persistence id in the call (storing them would leave a gap).
 *   <li>Writes and reads are at QUORUM, the transactions' Paxos phase at SERIAL.
 *   <li>{@code asyncDeleteMessagesTo} records {@code deleted_to} (never lowered, never above the
 *       highest stored sequence number); replay skips deleted events. Rows stay stored (no physical
 *       deletion yet), so the highest sequence number is never lowered by deletes.
 *   <li>Events are stored as Pekko's own serialized {@code PersistentRepr}.
 * </ul>
 *
 * <p>The schema (keyspace and tables, see {@link JournalSchema}) is created at actor start when
 * missing; the start blocks until it is. Replays and deletes block on the plugin dispatcher.
 */
public final class CassandraJournal extends AsyncWriteJournal {

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final CassandraJournalSettings settings;
  private final DriverConfigLoader configLoader;
  private final CqlSession session;
  private final PreparedStatement insert;
  private final PreparedStatement selectRange;
  private final PreparedStatement selectHighest;
  private final PreparedStatement selectLastWrite;
  private final PreparedStatement selectDeletedTo;
  private final PreparedStatement updateDeletedTo;

  /** The last pending write of each persistence id: later writes of the id run after it. */
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  public CassandraJournal(Config config, String configPath) {
    this.settings = CassandraJournalSettings.fromConfig(config);
    JournalSchema.create(settings);
    this.configLoader = driverConfig(settings).build();
    this.session = session(settings, configLoader);
    this.insert =
        session.prepare(
            "INSERT INTO messages (persistence_id, partition_nr, sequence_nr, writer_uuid, repr)"
                + " VALUES (?, ?, ?, ?, ?) IF NOT EXISTS");
    this.selectRange =
        session.prepare(
            "SELECT sequence_nr, repr FROM messages WHERE persistence_id = ? AND partition_nr = ?"
                + " AND sequence_nr >= ? AND sequence_nr <= ?");
    this.selectHighest =
        session.prepare(
            "SELECT sequence_nr FROM messages WHERE persistence_id = ? AND partition_nr = ?"
                + " ORDER BY sequence_nr DESC LIMIT 1");
    this.selectLastWrite =
        session.prepare(
            "SELECT sequence_nr, writer_uuid FROM messages WHERE persistence_id = ? AND"
                + " partition_nr = ? ORDER BY sequence_nr DESC LIMIT 1");
    this.selectDeletedTo =
        session.prepare("SELECT deleted_to FROM metadata WHERE persistence_id = ?");
    this.updateDeletedTo =
        session.prepare("UPDATE metadata SET deleted_to = ? WHERE persistence_id = ?");
    log.info(
        "Cassandra journal [{}] on {} keyspace {} (replication factor {} when created)",
        configPath,
        settings.contactPoints(),
        settings.keyspace(),
        settings.replicationFactor());
  }

  /** A session on {@code settings}' contact points and keyspace, configured by {@code loader}. */
  static CqlSession session(CassandraJournalSettings settings, DriverConfigLoader loader) {
    return CqlSession.builder()
        .addContactPoints(settings.contactPoints())
        .withLocalDatacenter(settings.localDatacenter())
        .withKeyspace(settings.keyspace())
        .withConfigLoader(loader)
        .build();
  }

  /** The driver configuration shared by the journal's and the snapshot store's sessions. */
  static ProgrammaticDriverConfigLoaderBuilder driverConfig(CassandraJournalSettings settings) {
    return DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, settings.reconnectMinDelay())
        .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, settings.reconnectMaxDelay())
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "QUORUM")
        .withString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY, "SERIAL")
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, settings.requestTimeout())
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, settings.requestTimeout())
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, settings.requestTimeout())
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, settings.requestTimeout())
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, settings.ddlTimeout())
        .withString(DefaultDriverOption.METRICS_FACTORY_CLASS, "NoopMetricsFactory");
  }

  /** One conditional batch: events of one persistence id in one partition. */
  private static final class Batch {
    final long partitionNr;
    final List<PersistentRepr> events = new ArrayList<>();
    final List<byte[]> bytes = new ArrayList<>();
    long size;

    Batch(long partitionNr) {
      this.partitionNr = partitionNr;
    }
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(
      Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    Map<String, List<Batch>> batches = new LinkedHashMap<>();
    Set<String> rejected = new HashSet<>();
    for (AtomicWrite write : messages) {
      String pid = write.persistenceId();
      if (rejected.contains(pid)) {
        results.add(
            Optional.of(
                new IllegalStateException(
                    "not written: an earlier atomic write of "
                        + pid
                        + " in the same call was rejected")));
        continue;
      }
      List<PersistentRepr> events = new ArrayList<>(write.size());
      List<byte[]> encoded = new ArrayList<>(write.size());
      long writeBytes = 0;
      try {
        Iterator<PersistentRepr> it = CollectionConverters.asJava(write.payload()).iterator();
        while (it.hasNext()) {
          PersistentRepr repr = it.next();
          byte[] bytes = serialization.serialize(repr).get();
          events.add(repr);
          encoded.add(bytes);
          writeBytes += bytes.length;
        }
      } catch (Exception e) {
        log.warning(
            "rejecting atomic write of [{}] seqNr {}-{} and any later write of it in this call: {}",
            pid,
            write.lowestSequenceNr(),
            write.highestSequenceNr(),
            e.toString());
        rejected.add(pid);
        results.add(Optional.of(e));
        continue;
      }
      results.add(Optional.empty());
      List<Batch> own = batches.computeIfAbsent(pid, k -> new ArrayList<>());
      Batch current = own.isEmpty() ? null : own.get(own.size() - 1);
      if (current != null && current.size + writeBytes > settings.maxBatchBytes()) {
        current = null; // whole atomic writes per batch, up to max-batch-bytes
      }
      for (int i = 0; i < events.size(); i++) {
        long partitionNr = settings.partitionOf(events.get(i).sequenceNr());
        if (current == null || current.partitionNr != partitionNr) {
          current = new Batch(partitionNr);
          own.add(current);
        }
        current.events.add(events.get(i));
        current.bytes.add(encoded.get(i));
        current.size += encoded.get(i).length;
      }
    }
    Iterable<Optional<Exception>> outcome = results;
    if (batches.isEmpty()) {
      return Futures.successful(outcome);
    }
    List<CompletableFuture<Void>> pending = new ArrayList<>(batches.size());
    for (Map.Entry<String, List<Batch>> entry : batches.entrySet()) {
      pending.add(enqueue(entry.getKey(), entry.getValue()));
    }
    CompletableFuture<Iterable<Optional<Exception>>> result = new CompletableFuture<>();
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .whenComplete(
            (done, failure) -> {
              if (failure == null) {
                result.complete(outcome);
              } else {
                result.completeExceptionally(unwrap(failure));
              }
            });
    return FutureConverters.asScala(result);
  }

  /** The cause itself, not the CompletionException the futures wrap it in. */
  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Runs {@code batches} of {@code pid} after its pending write, one batch after the other. */
  private CompletableFuture<Void> enqueue(String pid, List<Batch> batches) {
    CompletableFuture<Void> previous = tails.get(pid);
    CompletionStage<Void> start =
        previous == null ? CompletableFuture.completedFuture(null) : previous;
    CompletionStage<Void> chain = start;
    for (Batch batch : batches) {
      chain = chain.thenCompose(done -> execute(pid, batch));
    }
    CompletableFuture<Void> tail = chain.toCompletableFuture();
    tails.put(pid, tail);
    tail.whenComplete((done, failure) -> tails.remove(pid, tail));
    return tail;
  }

  private CompletionStage<Void> execute(String pid, Batch batch) {
    List<BatchableStatement<?>> inserts = new ArrayList<>(batch.events.size());
    for (int i = 0; i < batch.events.size(); i++) {
      PersistentRepr repr = batch.events.get(i);
      inserts.add(
          insert.bind(
              pid,
              batch.partitionNr,
              repr.sequenceNr(),
              repr.writerUuid(),
              ByteBuffer.wrap(batch.bytes.get(i))));
    }
    long first = batch.events.get(0).sequenceNr();
    long last = batch.events.get(batch.events.size() - 1).sequenceNr();
    return session
        .executeAsync(BatchStatement.newInstance(DefaultBatchType.LOGGED, inserts))
        .thenApply(
            rs -> {
              if (!rs.wasApplied()) {
                log.warning(
                    "append of [{}] seqNr {}-{} refused: taken by another writer",
                    pid,
                    first,
                    last);
                throw new AppendRefusedException(pid, first, last);
              }
              return null;
            });
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    ExecutionContext ec = context().dispatcher();
    return Futures.future(
        () -> {
          long deletedTo = deletedTo(persistenceId);
          long to = Math.min(toSequenceNr, highest(persistenceId, Math.max(1, deletedTo)));
          if (to > deletedTo) {
            session.execute(updateDeletedTo.bind(to, persistenceId));
          }
          return null;
        },
        ec);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId,
      long fromSequenceNr,
      long toSequenceNr,
      long max,
      Consumer<PersistentRepr> replayCallback) {
    ExecutionContext ec = context().dispatcher();
    return TimedReads.run(
            log,
            ec,
            () -> replay(persistenceId, fromSequenceNr, toSequenceNr, max, replayCallback),
            count -> "replayed " + count + " event(s) of [" + persistenceId + "]")
        .map(count -> (Void) null, ec);
  }

  /**
   * Replays the events of {@code persistenceId} in range; returns how many. The deletion mark and
   * the first partition are read at once (one round trip, where a recovery's tail usually lies);
   * the first partition's rows at or below the mark are skipped, and read again from the mark's
   * partition when it lies beyond.
   */
  private long replay(
      String persistenceId,
      long fromSequenceNr,
      long toSequenceNr,
      long max,
      Consumer<PersistentRepr> replayCallback) {
    long requested = Math.max(1, fromSequenceNr);
    long count = 0;
    if (max <= 0 || requested > toSequenceNr) {
      return count;
    }
    CompletionStage<AsyncResultSet> mark =
        session.executeAsync(selectDeletedTo.bind(persistenceId));
    long first = settings.partitionOf(requested);
    CompletionStage<AsyncResultSet> firstRows =
        session.executeAsync(selectRange.bind(persistenceId, first, requested, toSequenceNr));
    long from = Math.max(requested, deletedTo(await(mark).one()) + 1);
    if (from > toSequenceNr) {
      return count;
    }
    long lastPartition = settings.partitionOf(toSequenceNr);
    for (long p = settings.partitionOf(from); p <= lastPartition; p++) {
      boolean any = false;
      Iterable<Row> rows =
          p == first
              ? rowsOf(await(firstRows))
              : session.execute(selectRange.bind(persistenceId, p, from, toSequenceNr));
      for (Row row : rows) {
        any = true;
        if (row.getLong(0) < from) {
          continue; // deleted
        }
        ByteBuffer buffer = row.getByteBuffer(1);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        replayCallback.accept(serialization.deserialize(bytes, PersistentRepr.class).get());
        if (++count >= max) {
          return count;
        }
      }
      if (!any) {
        return count; // sequence numbers are gap-free: an empty partition ends the log
      }
    }
    return count;
  }

  /**
   * Every row of {@code first} and of the pages after it, fetched as the iteration reaches them.
   */
  private static Iterable<Row> rowsOf(AsyncResultSet first) {
    return () ->
        new Iterator<>() {
          private AsyncResultSet page = first;
          private Iterator<Row> rows = first.currentPage().iterator();

          @Override
          public boolean hasNext() {
            while (!rows.hasNext() && page.hasMorePages()) {
              page = await(page.fetchNextPage());
              rows = page.currentPage().iterator();
            }
            return rows.hasNext();
          }

          @Override
          public Row next() {
            if (!hasNext()) {
              throw new java.util.NoSuchElementException();
            }
            return rows.next();
          }
        };
  }

  /** Blocks for {@code stage} (on the plugin's dispatcher), failing as a synchronous read would. */
  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (java.util.concurrent.CompletionException e) {
      if (unwrap(e) instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    ExecutionContext ec = context().dispatcher();
    return TimedReads.run(
        log,
        ec,
        () -> highest(persistenceId, fromSequenceNr),
        highest -> "highest sequence number of [" + persistenceId + "] is " + highest + ", read");
  }

  /**
   * The highest stored sequence number at or after {@code from}'s partition; 0 if none. Partitions
   * are read two at a time (one round trip), upward until an empty one: the log is gap-free.
   */
  private long highest(String persistenceId, long from) {
    long highest = 0;
    for (long p = settings.partitionOf(from); ; p += 2) {
      CompletionStage<AsyncResultSet> a =
          session.executeAsync(selectHighest.bind(persistenceId, p));
      CompletionStage<AsyncResultSet> b =
          session.executeAsync(selectHighest.bind(persistenceId, p + 1));
      Row first = await(a).one();
      Row second = await(b).one();
      if (first == null) {
        return highest;
      }
      highest = first.getLong(0);
      if (second == null) {
        return highest;
      }
      highest = second.getLong(0);
    }
  }

  @Override
  public scala.PartialFunction<Object, scala.runtime.BoxedUnit> receivePluginInternal() {
    return org.apache.pekko.japi.pf.ReceiveBuilder.create()
        .match(
            LastWrite.Probe.class,
            probe -> {
              ActorRef replyTo = sender();
              lastWrite(probe.persistenceId(), settings.partitionOf(probe.fromSequenceNr()), null)
                  .whenComplete(
                      (found, failure) ->
                          replyTo.tell(
                              failure != null ? new Status.Failure(failure) : found,
                              ActorRef.noSender()));
            })
        .build()
        .onMessage();
  }

  /**
   * The newest row at or after partition {@code p}, read without blocking: partitions upward until
   * an empty one (sequence numbers are gap-free), keeping the last row found.
   */
  private CompletionStage<LastWrite.Found> lastWrite(
      String persistenceId, long p, LastWrite.Found sofar) {
    return session
        .executeAsync(selectLastWrite.bind(persistenceId, p))
        .thenCompose(
            rs -> {
              Row row = rs.one();
              if (row == null) {
                return CompletableFuture.completedFuture(
                    sofar != null ? sofar : new LastWrite.Found(0, ""));
              }
              String writer = row.isNull(1) ? "" : row.getString(1);
              return lastWrite(persistenceId, p + 1, new LastWrite.Found(row.getLong(0), writer));
            });
  }

  private long deletedTo(String persistenceId) {
    return deletedTo(session.execute(selectDeletedTo.bind(persistenceId)).one());
  }

  /** The deletion mark in {@code row} of {@code metadata}; 0 when there is none. */
  private static long deletedTo(Row row) {
    return row == null || row.isNull(0) ? 0 : row.getLong(0);
  }

  @Override
  public void postStop() throws Exception {
    try {
      session.close();
      configLoader.close();
    } finally {
      super.postStop();
    }
  }
}
