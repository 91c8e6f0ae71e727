package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The zombie leader. Three real Cairn JVMs, ten clients on every node; the node leading {@code
 * default} is frozen with SIGSTOP while requests are in flight to it, and stays frozen until the
 * cluster has downed it and a successor has acknowledged writes sent after the freeze. Then it is
 * thawed with SIGCONT while the workload goes on (it gets requests again while it runs): it wakes
 * up believing it leads, with requests queued, and must neither commit a write (the journal fences
 * its appends) nor answer a linearizable read from its stale state (the read barrier). The whole
 * history, ending with a read of every key on every live node, must be linearizable.
 */
class LeaderPauseIT {

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aPausedLeaderResumedAfterItsSuccessorWroteBreaksNothing() throws Exception {
    long seed = ClusterScenario.seed();
    try (CairnCluster cluster =
            CairnCluster.start("leader-pause", CairnCluster.Options.relaxed(3));
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 300);

      int zombie = cluster.leaderOf("default");
      long pausedAt = System.nanoTime();
      cluster.suspend(zombie);
      // Writes sent after the freeze can only be committed by a successor.
      long successorAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, pausedAt, 100);
      int successor = cluster.leaderOf("default");
      assertThat(successor).as("default's leader moved off the frozen node").isNotEqualTo(zombie);
      long resumedAt = System.nanoTime();
      cluster.resume(zombie);
      System.out.printf(
          "leader-pause: node %d (leader of default) frozen; node %d acknowledged the first write"
              + " sent after the freeze %d ms later; thawed after %d ms (seed %d)%n",
          zombie,
          successor,
          (successorAt - pausedAt) / 1_000_000,
          (resumedAt - pausedAt) / 1_000_000,
          seed);

      // The workload goes on through the thawed node while it runs (the cluster has downed it:
      // it learns so from the others' gossip and stops, or it is made to stop below).
      ClusterScenario.awaitAcknowledgedSince(cluster, load, resumedAt, 300);
      Integer exit = cluster.node(zombie).awaitExit(Duration.ZERO);
      System.out.printf(
          "leader-pause: the thawed node %s%n",
          exit == null ? "still runs" : "exited with code " + exit);
      if (exit == null) {
        cluster.kill9(zombie);
      }
      ClusterScenario.stopAndCheck("leader-pause", cluster, load, seed);
    }
  }
}
