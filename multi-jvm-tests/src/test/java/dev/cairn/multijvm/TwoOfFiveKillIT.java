package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Five real Cairn JVMs, ten clients on every node; two nodes, one of them the leader of {@code
 * default}, are killed with SIGKILL at the same moment. The three survivors are a majority of five,
 * so the Split Brain Resolver (keep-majority) downs the two and writes must resume on the
 * survivors; both are restarted on their data directories and ports and rejoin. The whole history,
 * ending with a read of every key on every node, must be linearizable.
 *
 * <p>Six JVMs besides the test's make this one of the slow scenarios: it runs with {@code -Pslow}.
 */
@Tag("slow")
class TwoOfFiveKillIT {

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void writesResumeWhenAMinorityOfFiveIsKilledAtOnce() throws Exception {
    long seed = ClusterScenario.seed();
    try (CairnCluster cluster =
            CairnCluster.start("two-of-five-kill", CairnCluster.Options.relaxed(5));
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 300);

      int leader = cluster.leaderOf("default");
      int other = (leader + 1) % cluster.size();
      long killedAt = System.nanoTime();
      cluster.kill9(leader);
      cluster.kill9(other);
      long resumedAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 1);
      ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 200);
      System.out.printf(
          "two-of-five-kill: nodes %d (leader of default) and %d killed; the first write sent"
              + " after the kills was acknowledged %d ms later (seed %d)%n",
          leader, other, (resumedAt - killedAt) / 1_000_000, seed);
      int newLeader = cluster.leaderOf("default");
      assertThat(newLeader).as("default's leader moved to a survivor").isNotIn(leader, other);

      cluster.restart(leader);
      cluster.restart(other);
      long restartedAt = System.nanoTime();
      ClusterScenario.awaitAcknowledgedSince(cluster, load, restartedAt, 200);
      ClusterScenario.stopAndCheck("two-of-five-kill", cluster, load, seed);
    }
  }
}
