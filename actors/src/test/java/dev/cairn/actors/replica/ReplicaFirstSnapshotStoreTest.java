package dev.cairn.actors.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.Test;

/**
 * Which snapshot a leader recovering on a node with a replica starts from: the replica's state when
 * it has one the recovery admits, without reading the stored snapshot; the stored one otherwise.
 */
class ReplicaFirstSnapshotStoreTest {
  private static final String PID = "ns|n";

  /** How many times the stored snapshot was read. */
  private final AtomicInteger storedReads = new AtomicInteger();

  private static KeyspaceSnapshot at(long revision) {
    KeyspaceSnapshot empty = KeyspaceState.empty(true).toSnapshot();
    return new KeyspaceSnapshot(
        empty.format(),
        revision,
        empty.compactRevision(),
        empty.active(),
        empty.nextLeaseId(),
        empty.keys(),
        empty.leases());
  }

  private static CompletionStage<Optional<SelectedSnapshot>> stored(long revision) {
    return CompletableFuture.completedFuture(
        Optional.of(
            SelectedSnapshot.create(new SnapshotMetadata(PID, revision, 1L), at(revision))));
  }

  private ReplicaFirstSnapshotStore.Choice choose(
      SnapshotSelectionCriteria c,
      CompletionStage<Optional<SelectedSnapshot>> stored,
      CompletionStage<Optional<KeyspaceSnapshot>> local)
      throws Exception {
    return ReplicaFirstSnapshotStore.newest(
            PID,
            c,
            () -> {
              storedReads.incrementAndGet();
              return stored;
            },
            local,
            1_000L)
        .toCompletableFuture()
        .get();
  }

  private static CompletionStage<Optional<KeyspaceSnapshot>> replica(long revision) {
    return CompletableFuture.completedFuture(Optional.of(at(revision)));
  }

  private static long revisionOf(ReplicaFirstSnapshotStore.Choice c) {
    return c.snapshot().orElseThrow().metadata().sequenceNr();
  }

  @Test
  void theReplicasStateIsTakenWithoutReadingTheStoredSnapshot() throws Exception {
    var c = choose(SnapshotSelectionCriteria.latest(), stored(100), replica(250));
    assertThat(c.fromReplica()).isTrue();
    assertThat(revisionOf(c)).isEqualTo(250);
    assertThat(((KeyspaceSnapshot) c.snapshot().orElseThrow().snapshot()).revision())
        .isEqualTo(250);
    // Even behind a stored snapshot: the journal holds every event after the replica's revision.
    var behind = choose(SnapshotSelectionCriteria.latest(), stored(300), replica(250));
    assertThat(behind.fromReplica()).isTrue();
    assertThat(revisionOf(behind)).isEqualTo(250);
    assertThat(storedReads).hasValue(0);
  }

  @Test
  void theStoredSnapshotIsReadWhenTheReplicaIsEmptyFailedOrOutsideTheCriteria() throws Exception {
    var none =
        choose(
            SnapshotSelectionCriteria.latest(),
            stored(300),
            CompletableFuture.completedFuture(Optional.empty()));
    assertThat(none.fromReplica()).isFalse();
    assertThat(revisionOf(none)).isEqualTo(300);
    var failed =
        choose(
            SnapshotSelectionCriteria.latest(),
            stored(300),
            CompletableFuture.failedFuture(new RuntimeException("replica too slow")));
    assertThat(failed.fromReplica()).isFalse();
    assertThat(revisionOf(failed)).isEqualTo(300);
    // A recovery asked to stop at 200 must not start from 250.
    var bounded = SnapshotSelectionCriteria.create(200, Long.MAX_VALUE);
    var c = choose(bounded, CompletableFuture.completedFuture(Optional.empty()), replica(250));
    assertThat(c.snapshot()).isEmpty();
    // Revision 0 is no state at all.
    assertThat(
            choose(
                    SnapshotSelectionCriteria.latest(),
                    CompletableFuture.completedFuture(Optional.empty()),
                    replica(0))
                .snapshot())
        .isEmpty();
    assertThat(storedReads).hasValue(4);
  }

  @Test
  void aStoredLoadThatFailsFailsTheRecoveryOnlyWithoutAReplica() throws Exception {
    CompletionStage<Optional<SelectedSnapshot>> failed =
        CompletableFuture.failedFuture(new IllegalStateException("cassandra down"));
    assertThat(choose(SnapshotSelectionCriteria.latest(), failed, replica(40)).fromReplica())
        .isTrue();
    assertThatThrownBy(
            () ->
                choose(
                    SnapshotSelectionCriteria.latest(),
                    failed,
                    CompletableFuture.completedFuture(Optional.empty())))
        .hasRootCauseMessage("cassandra down");
  }
}
