package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three real Cairn JVMs, ten clients reading, writing, deleting and compare-and-setting five keys
 * of the {@code default} namespace through every node; a node that does <em>not</em> lead {@code
 * default} is killed with SIGKILL mid-workload. The lowest-numbered such node is chosen: in a fresh
 * cluster node 0 is the oldest member and hosts the cluster singletons (the shard coordinator and
 * the namespace registry), so unless it leads {@code default} the kill also takes those away.
 *
 * <p>Writes to {@code default} must not wait for the dead node to be detected and removed: its
 * leader still runs, and the survivors' shard regions already know where it is. So writes invoked
 * after the kill must be acknowledged well before failure detection could have acted (15 s of
 * silence with {@link CairnCluster.Options#relaxed}). The node is then restarted on its data
 * directory and ports and rejoins, and the whole history, ending with a read of every key on every
 * node, must be linearizable.
 *
 * <p>The same cluster then serves the Java client's fail-over ({@link ClientFailover}): a client
 * connected to all three nodes, talking to a node that does not lead {@code default}, keeps a
 * watch, a lease and a lock while that node is killed (one cluster start for both: each costs a
 * kill, not a cluster).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FollowerKillIT {
  /** Failure detection's acceptable pause with the relaxed options: nothing may wait this long. */
  private static final Duration DETECTION = Duration.ofSeconds(15);

  private static CairnCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = CairnCluster.start("follower-kill", CairnCluster.Options.relaxed(3));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void writesGoOnWithoutWaitingForAKilledFollowerToBeRemoved() throws Exception {
    long seed = ClusterScenario.seed();
    try (RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 300);

      int leader = cluster.leaderOf("default");
      int follower = leader == 0 ? 1 : 0;
      long killedAt = System.nanoTime();
      cluster.kill9(follower);
      long resumedAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 100);
      long hundredMs = (resumedAt - killedAt) / 1_000_000;
      long lastOfHundred =
          ClusterScenario.acknowledgedWritesSince(load.history().ops(), killedAt)
              .get(99)
              .completedAt();
      long hundredDoneMs = (lastOfHundred - killedAt) / 1_000_000;
      long silenceMs =
          ClusterScenario.longestSilenceMillis(load.history().ops(), killedAt, lastOfHundred);
      System.out.printf(
          "follower-kill: node %d killed (node %d leads default); the first write sent after the"
              + " kill was acknowledged %d ms later, the hundredth %d ms later; longest stretch"
              + " without an acknowledged write %d ms (seed %d)%n",
          follower, leader, hundredMs, hundredDoneMs, silenceMs, seed);
      assertThat(cluster.leaderOf("default"))
          .as("default's leader did not move: it was not on the killed node")
          .isEqualTo(leader);
      assertThat(hundredDoneMs)
          .as(
              "100 writes sent after the kill were acknowledged before failure detection (%s)"
                  + " could have removed the killed follower",
              DETECTION)
          .isLessThan(DETECTION.toMillis());

      cluster.restart(follower);
      long restartedAt = System.nanoTime();
      ClusterScenario.awaitAcknowledgedSince(cluster, load, restartedAt, 100);
      ClusterScenario.stopAndCheck("follower-kill", cluster, load, seed);
    }
  }

  /** Runs last: it leaves its node dead. */
  @Test
  @Order(2)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void theJavaClientRidesOutTheKillOfTheNodeItTalksTo() throws Exception {
    cluster.awaitAllUp(Duration.ofMinutes(3));
    int leader = cluster.leaderOf("default");
    ClientFailover.run(cluster, leader == 0 ? 1 : 0);
  }
}
