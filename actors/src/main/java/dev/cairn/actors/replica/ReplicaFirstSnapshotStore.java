package dev.cairn.actors.replica;

import com.typesafe.config.Config;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.persistence.cassandra.CassandraSnapshotStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The cluster's snapshot store: Cassandra's, except that a namespace leader recovering on a node
 * that keeps a replica of its namespace starts from the replica's state, without reading the stored
 * snapshot (see {@link #newest}). The replica holds only committed events, applied in revision
 * order with the leader's own {@code Keyspace.apply}, so its state at revision R is the state the
 * journal's first R events make; offered as the snapshot at sequence number R, Pekko replays only
 * the events after it. A failover then replays the few events the replica had not applied yet, not
 * everything since the last stored snapshot (up to {@code max(snapshot-every, retained versions)}
 * events).
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
    log.debug("namespace {}: loading its leader's snapshot", namespace);
    ExecutionContext ec = context().dispatcher();
    CompletionStage<Choice> chosen =
        newest(
            persistenceId,
            criteria,
            () -> FutureConverters.asJava(loadOn(ec, persistenceId, criteria)),
            replicas.stateCopy(namespace),
            System.currentTimeMillis());
    return FutureConverters.asScala(
        chosen.thenApply(
            c -> {
              if (c.fromReplica()) {
                log.info(
                    "namespace {}: its leader starts from this node's replica at revision {}"
                        + " (chosen in {} ms, the stored snapshot not read); the journal replays"
                        + " only the events after it",
                    namespace,
                    c.snapshot().get().metadata().sequenceNr(),
                    (System.nanoTime() - started) / 1_000_000);
              }
              return c.snapshot();
            }));
  }

  /** The snapshot a recovery starts from, and whether it is the replica's. */
  record Choice(Optional<SelectedSnapshot> snapshot, boolean fromReplica) {}

  /**
   * The replica's state ({@code local}) when {@code criteria} admits it, without reading the {@code
   * stored} snapshot; otherwise (no replica, no state, a failed or slow replica) the stored one.
   * The replica's state at revision R is what the journal's first R events make, and a namespace's
   * events are never deleted from the journal (its leader never deletes them), so the state at R
   * and the events after it are the namespace's state whatever snapshot is stored: a stored
   * snapshot newer than the replica would only shorten the replay, and reading it first costs every
   * failover a round trip to Cassandra while the new leader holds its requests.
   */
  static CompletionStage<Choice> newest(
      String persistenceId,
      SnapshotSelectionCriteria criteria,
      Supplier<CompletionStage<Optional<SelectedSnapshot>>> stored,
      CompletionStage<Optional<KeyspaceSnapshot>> local,
      long now) {
    return admitted(persistenceId, criteria, local, now)
        .thenCompose(
            replica ->
                replica.isPresent()
                    ? CompletableFuture.completedFuture(new Choice(replica, true))
                    : stored.get().thenApply(st -> new Choice(st, false)));
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
}
