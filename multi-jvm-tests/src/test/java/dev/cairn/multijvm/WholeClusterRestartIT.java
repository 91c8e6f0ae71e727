package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every node of a three-node cluster killed with SIGKILL at once under load, then all started again
 * on their data directories and ports. Nothing acknowledged before the kills may be missing after
 * them: the state lives in the journal (Cassandra), not in any node. Writes must succeed again once
 * the cluster has formed anew, and the whole history, ending with a read of every key on every
 * node, must be linearizable (requests cut off by the kills are of unknown outcome).
 */
class WholeClusterRestartIT {

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void aClusterKilledWholeComesBackWithEveryAcknowledgedWrite() throws Exception {
    long seed = ClusterScenario.seed();
    try (CairnCluster cluster =
            CairnCluster.start("whole-cluster-restart", CairnCluster.Options.relaxed(3));
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 300);

      long acknowledgedBefore = load.acknowledgedWrites();
      for (int i = 0; i < cluster.size(); i++) {
        cluster.kill9(i);
      }
      long downAt = System.nanoTime();
      cluster.restartAll();
      long upAt = System.nanoTime();
      long resumedAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, upAt, 1);
      ClusterScenario.awaitAcknowledgedSince(cluster, load, upAt, 200);
      System.out.printf(
          "whole-cluster-restart: %d writes acknowledged before every node was killed; the"
              + " cluster was ready again %d ms after the kills, and the first write sent after"
              + " that was acknowledged %d ms later (seed %d)%n",
          acknowledgedBefore, (upAt - downAt) / 1_000_000, (resumedAt - upAt) / 1_000_000, seed);
      assertThat(load.acknowledgedWrites()).isGreaterThan(acknowledgedBefore);
      ClusterScenario.stopAndCheck("whole-cluster-restart", cluster, load, seed);
    }
  }
}
