package dev.cairn.actors.replica;

import com.typesafe.config.Config;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.persistence.cassandra.CassandraSnapshotStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The cluster's snapshot store: Cassandra's, except that a namespace leader recovering on a node
 * that keeps a replica of its namespace starts from the replica's state when that is newer than the
 * newest stored snapshot. The replica holds only committed events, applied in revision order with
 * the leader's own {@code Keyspace.apply}, so its state at revision R is the state the journal's
 * first R events make; offered as the snapshot at sequence number R, Pekko replays only the events
 * after it. A failover then replays the few events the replica had not applied yet, not everything
 * since the last stored snapshot (up to {@code max(snapshot-every, retained versions)} events).
 *
 * <p>Nothing is stored from the replica: saves and deletes are Cassandra's. A replica that cannot
 * answer (none on this node, no state yet, too slow) leaves the stored snapshot as the only
 * candidate.
 */
public final class ReplicaFirstSnapshotStore extends CassandraSnapshotStore {

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);

  public ReplicaFirstSnapshotStore(Config config) {
    super(config);
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    String namespace = NamespaceLeader.namespaceOf(persistenceId);
    Replicas replicas = Replicas.of(context().system());
    if (namespace == null || replicas == null) {
      return super.doLoadAsync(persistenceId, criteria);
    }
    long started = System.nanoTime();
    CompletableFuture<Optional<SelectedSnapshot>> fromReplica =
        admitted(
            persistenceId, criteria, replicas.stateCopy(namespace), System.currentTimeMillis());
    // The stored snapshot's chunks (megabytes for a large namespace) are not read when the replica
    // has answered by the time the stored one is found, with a state at least as new.
    AtomicLong notLoaded = new AtomicLong(-1);
    Future<Optional<SelectedSnapshot>> stored =
        loadUnless(
            persistenceId,
            criteria,
            seqNr -> {
              Optional<SelectedSnapshot> r = fromReplica.getNow(Optional.empty());
              if (r.isPresent() && r.get().metadata().sequenceNr() >= seqNr) {
                notLoaded.set(seqNr);
                return true;
              }
              return false;
            });
    CompletionStage<Choice> chosen = choose(FutureConverters.asJava(stored), fromReplica);
    return FutureConverters.asScala(
        chosen.thenApply(
            c -> {
              if (c.fromReplica()) {
                long skipped = notLoaded.get();
                log.info(
                    "namespace {}: its leader starts from this node's replica at revision {}"
                        + " (newest stored snapshot: {}; chosen in {} ms); the journal replays"
                        + " only the events after it",
                    namespace,
                    c.snapshot().get().metadata().sequenceNr(),
                    skipped >= 0
                        ? skipped + ", not read"
                        : c.storedRevision() < 0 ? "none" : c.storedRevision(),
                    (System.nanoTime() - started) / 1_000_000);
              }
              return c.snapshot();
            }));
  }

  /**
   * The snapshot a recovery starts from, whether it is the replica's, and the revision of the
   * newest stored one (-1: none).
   */
  record Choice(Optional<SelectedSnapshot> snapshot, boolean fromReplica, long storedRevision) {}

  /**
   * The newer of the {@code stored} snapshot and the replica's state ({@code local}) that {@code
   * criteria} admits. A failed or slow replica leaves the stored snapshot; a failed stored load
   * with a replica state at hand still recovers from the replica.
   */
  static CompletionStage<Choice> newest(
      String persistenceId,
      SnapshotSelectionCriteria criteria,
      CompletionStage<Optional<SelectedSnapshot>> stored,
      CompletionStage<Optional<KeyspaceSnapshot>> local,
      long now) {
    return choose(stored, admitted(persistenceId, criteria, local, now));
  }

  /**
   * The replica's state ({@code local}) as the snapshot at its revision, when {@code criteria}
   * admits it; empty when it does not, or the replica failed or has no state.
   */
  static CompletableFuture<Optional<SelectedSnapshot>> admitted(
      String persistenceId,
      SnapshotSelectionCriteria criteria,
      CompletionStage<Optional<KeyspaceSnapshot>> local,
      long now) {
    return local
        .toCompletableFuture()
        .exceptionally(e -> Optional.empty())
        .thenApply(
            o ->
                o.filter(
                        s ->
                            s.revision() > 0
                                && s.revision() >= criteria.minSequenceNr()
                                && s.revision() <= criteria.maxSequenceNr()
                                && now <= criteria.maxTimestamp()
                                && now >= criteria.minTimestamp())
                    .map(
                        s ->
                            SelectedSnapshot.create(
                                new SnapshotMetadata(persistenceId, s.revision(), now), s)));
  }

  /** The newer of {@code stored} and {@code fromReplica} (see {@link #newest}). */
  private static CompletionStage<Choice> choose(
      CompletionStage<Optional<SelectedSnapshot>> stored,
      CompletableFuture<Optional<SelectedSnapshot>> fromReplica) {
    return stored
        .toCompletableFuture()
        .handle(
            (st, err) ->
                fromReplica.thenApply(
                    replica -> {
                      if (err != null) {
                        if (replica.isPresent()) {
                          return new Choice(replica, true, -1);
                        }
                        throw new CompletionException(err);
                      }
                      long storedRevision = st.map(x -> x.metadata().sequenceNr()).orElse(-1L);
                      if (replica.isPresent()
                          && replica.get().metadata().sequenceNr() > storedRevision) {
                        return new Choice(replica, true, storedRevision);
                      }
                      return new Choice(st, false, storedRevision);
                    }))
        .thenCompose(x -> x);
  }
}
