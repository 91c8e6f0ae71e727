package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Production's storage layout on one machine: a ring of three real Cassandra nodes on 127.0.0.1,
 * 127.0.0.2 and 127.0.0.3 with Cairn's keyspace at replication factor 3, under three real Cairn
 * JVMs and ten clients. One Cassandra node is killed with SIGKILL under load: QUORUM writes and
 * SERIAL lightweight transactions need two replicas of three, so writes must go on; the node is
 * restarted and rejoins. The whole history, ending with a read of every key on every Cairn node,
 * must be linearizable: nothing acknowledged lost.
 *
 * <p>Four extra JVMs of Cassandra make this the slowest scenario; it runs with {@code -Pslow} (see
 * {@code docs/operations.md}), not on every build.
 */
@Tag("slow")
class CassandraNodeKillIT {

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void writesGoOnWhenOneOfThreeCassandraReplicasIsKilled() throws Exception {
    long seed = ClusterScenario.seed();
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path ringDir = Files.createTempDirectory(work, "cassandra-ring-");
    long ringStart = System.nanoTime();
    try (CassandraRing ring = CassandraRing.start(ringDir, 3)) {
      System.out.printf(
          "cassandra-node-kill: ring of 3 ready in %d ms (%s)%n",
          (System.nanoTime() - ringStart) / 1_000_000, ring.contactPoints());
      CairnCluster.Options relaxed = CairnCluster.Options.relaxed(3);
      CairnCluster.Options options =
          new CairnCluster.Options(
              relaxed.nodes(),
              relaxed.readyTimeout(),
              concat(
                  relaxed.jvmOptions(),
                  "-Dcairn.persistence.cassandra-journal.replication-factor=3"));
      try (CairnCluster cluster =
              CairnCluster.start("cassandra-node-kill", options, ring.contactPoints());
          RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
        String log = Files.readString(cluster.node(0).outputFile(), StandardCharsets.UTF_8);
        assertThat(log)
            .as("node 0's journal created its keyspace with replication factor 3")
            .contains("(replication factor 3 when created)");
        load.start();
        ClusterScenario.awaitAcknowledged(cluster, load, 300);

        long killedAt = System.nanoTime();
        ring.kill9(1);
        long firstAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 1);
        ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 300);
        long silenceMs =
            ClusterScenario.longestSilenceMillis(load.history().ops(), killedAt, System.nanoTime());
        System.out.printf(
            "cassandra-node-kill: %s killed; the first write sent after it was acknowledged %d ms"
                + " later; longest stretch without an acknowledged write %d ms (seed %d)%n",
            ring.address(1), (firstAt - killedAt) / 1_000_000, silenceMs, seed);

        ring.restart(1);
        long restartedAt = System.nanoTime();
        ClusterScenario.awaitAcknowledgedSince(cluster, load, restartedAt, 200);
        ClusterScenario.stopAndCheck("cassandra-node-kill", cluster, load, seed);
      }
    }
  }

  private static List<String> concat(List<String> list, String more) {
    return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(more)).toList();
  }
}
