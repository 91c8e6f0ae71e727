package dev.cairn.actors.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.Test;

class ReplicaFirstSnapshotStoreTest {
  private static final String PID = "ns|n";

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

  private static ReplicaFirstSnapshotStore.Choice choose(
      SnapshotSelectionCriteria c,
      CompletionStage<Optional<SelectedSnapshot>> stored,
      CompletionStage<Optional<KeyspaceSnapshot>> local)
      throws Exception {
    return ReplicaFirstSnapshotStore.newest(PID, c, stored, local, 1_000L)
        .toCompletableFuture()
        .get();
  }

  private static CompletionStage<Optional<KeyspaceSnapshot>> replica(long revision) {
    return CompletableFuture.completedFuture(Optional.of(at(revision)));
  }

  @Test
  void theReplicasStateWinsWhenItIsNewerThanTheStoredSnapshot() throws Exception {
    var c = choose(SnapshotSelectionCriteria.latest(), stored(100), replica(250));
    assertThat(c.fromReplica()).isTrue();
    assertThat(c.storedRevision()).isEqualTo(100);
    assertThat(c.snapshot().orElseThrow().metadata().sequenceNr()).isEqualTo(250);
    assertThat(((KeyspaceSnapshot) c.snapshot().orElseThrow().snapshot()).revision())
        .isEqualTo(250);
  }

  @Test
  void theStoredSnapshotWinsWhenTheReplicaIsBehindEmptyFailedOrOutsideTheCriteria()
      throws Exception {
    assertThat(choose(SnapshotSelectionCriteria.latest(), stored(300), replica(250)).fromReplica())
        .isFalse();
    assertThat(
            choose(
                    SnapshotSelectionCriteria.latest(),
                    stored(300),
                    CompletableFuture.completedFuture(Optional.empty()))
                .snapshot()
                .orElseThrow()
                .metadata()
                .sequenceNr())
        .isEqualTo(300);
    assertThat(
            choose(
                    SnapshotSelectionCriteria.latest(),
                    stored(300),
                    CompletableFuture.failedFuture(new RuntimeException("replica too slow")))
                .fromReplica())
        .isFalse();
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
  }

  @Test
  void aFailedStoredLoadRecoversFromTheReplicaOrFailsWithoutOne() throws Exception {
    CompletionStage<Optional<SelectedSnapshot>> failed =
        CompletableFuture.failedFuture(new IllegalStateException("cassandra down"));
    var c = choose(SnapshotSelectionCriteria.latest(), failed, replica(40));
    assertThat(c.fromReplica()).isTrue();
    assertThatThrownBy(
            () ->
                choose(
                    SnapshotSelectionCriteria.latest(),
                    failed,
                    CompletableFuture.completedFuture(Optional.empty())))
        .hasRootCauseMessage("cassandra down");
  }
}
