package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rolling restart under load. Three real Cairn JVMs, ten clients on every node; each node in turn
 * is stopped with SIGTERM (a graceful leave: its leaders hand over), started again on its data
 * directory and ports, and waited for until it is ready and every node sees every node Up, before
 * the next. Writes go on throughout; the longest stretch without an acknowledged write around each
 * leave is printed. The whole history, ending with a read of every key on every node, must be
 * linearizable.
 */
class RollingRestartIT {
  private static final Duration LEAVE_TIMEOUT = Duration.ofMinutes(2);

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void everyNodeRestartedInTurnUnderLoadLosesNothing() throws Exception {
    long seed = ClusterScenario.seed();
    try (CairnCluster cluster =
            CairnCluster.start("rolling-restart", CairnCluster.Options.relaxed(3));
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 200);

      for (int i = 0; i < cluster.size(); i++) {
        boolean led = cluster.leaderOf("default") == i;
        long leftAt = System.nanoTime();
        int code = cluster.terminate(i, LEAVE_TIMEOUT);
        long exitedAt = System.nanoTime();
        assertThat(code)
            .as("node %d's exit code after SIGTERM (143: the JVM's own)", i)
            .isIn(0, 143);
        ClusterScenario.awaitAcknowledgedSince(cluster, load, exitedAt, 50);
        long silenceMs =
            ClusterScenario.longestSilenceMillis(load.history().ops(), leftAt, System.nanoTime());
        cluster.restart(i);
        long restartedAt = System.nanoTime();
        ClusterScenario.awaitAcknowledgedSince(cluster, load, restartedAt, 100);
        System.out.printf(
            "rolling-restart: node %d%s left in %d ms; longest stretch without an acknowledged"
                + " write from SIGTERM until writes went on: %d ms; back and Up %d ms after it"
                + " exited (seed %d)%n",
            i,
            led ? " (leader of default)" : "",
            (exitedAt - leftAt) / 1_000_000,
            silenceMs,
            (restartedAt - exitedAt) / 1_000_000,
            seed);
      }
      ClusterScenario.stopAndCheck("rolling-restart", cluster, load, seed);
    }
  }
}
