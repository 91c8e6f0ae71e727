package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three real Cairn JVMs, ten clients reading, writing, deleting and compare-and-setting five keys
 * of the {@code default} namespace through every node; the node leading {@code default} is killed
 * with SIGKILL mid-workload. Writes must resume on the survivors (the time from the kill to the
 * first acknowledged write sent after it is printed), the killed node is restarted on its data
 * directory and ports and rejoins, and the whole history, ending with a read of every key on every
 * node, must be linearizable: no acknowledged write lost, no stale read. A watcher of the keys on
 * every node (the killed node's resuming on another with {@code start_revision} = its last + 1)
 * must have received the server's history exactly, and every node's replica must end at the same
 * revision with the same state digest.
 *
 * <p>The new leader must have started from its node's replica of the namespace (not from the stored
 * snapshot and the whole journal after it).
 *
 * <p>Failure detection is relaxed for the loaded test machine ({@link
 * CairnCluster.Options#relaxed}: 15 s of silence), so the prompt resume the test asks for comes
 * from the survivors seeing the killed process's cluster port closed, which downs it at once.
 */
class LeaderKillIT {

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void writesResumeAfterAKillNineOfTheLeaderAndTheHistoryIsLinearizable() throws Exception {
    long seed = ClusterScenario.seed();
    try (CairnCluster cluster = CairnCluster.start("leader-kill", CairnCluster.Options.relaxed(3));
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      List<ResumingWatch> watches = ClusterScenario.watchEveryNode(cluster);
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 300);

      int leader = cluster.leaderOf("default");
      int[] logged = new int[cluster.size()];
      for (int i = 0; i < cluster.size(); i++) {
        logged[i] = cluster.node(i).output().length();
      }
      long killedAt = System.nanoTime();
      cluster.kill9(leader);
      long resumedAt = ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 1);
      long resumeMs = (resumedAt - killedAt) / 1_000_000;
      ClusterScenario.awaitAcknowledgedSince(cluster, load, killedAt, 200);
      long silenceMs =
          ClusterScenario.longestSilenceMillis(load.history().ops(), killedAt, System.nanoTime());
      System.out.printf(
          "leader-kill: node %d (leader of default) killed; the first write sent after the kill"
              + " was acknowledged %d ms later; longest stretch without an acknowledged write %d"
              + " ms (seed %d)%n",
          leader, resumeMs, silenceMs, seed);
      String survivorsLogs = "";
      for (int i = 0; i < cluster.size(); i++) {
        survivorsLogs += i == leader ? "" : cluster.node(i).output();
      }
      assertThat(survivorsLogs)
          .as("a survivor downed the killed node when its cluster port closed")
          .contains("refuses connections on its cluster port");
      int newLeader = cluster.leaderOf("default");
      assertThat(newLeader).as("default's leader moved to a survivor").isNotEqualTo(leader);
      assertThat(cluster.node(newLeader).output().substring(logged[newLeader]))
          .as("the new leader started from its node's replica, replaying only the journal's tail")
          .contains("namespace default: its leader starts from this node's replica at revision");

      long before = load.acknowledgedWrites();
      cluster.restart(leader);
      ClusterScenario.awaitAcknowledged(cluster, load, load.acknowledgedWrites() + 200);
      assertThat(load.acknowledgedWrites()).isGreaterThan(before);

      ClusterScenario.stopAndCheck("leader-kill", cluster, load, seed);
      ClusterScenario.watchesSawEverything("leader-kill", cluster, watches);
      watches.forEach(ResumingWatch::close);
      // The relaxed failure detector alone would need 15 s of silence and 5 s of stability: the
      // kill is seen sooner because the dead process's cluster port refuses connections.
      assertThat(resumeMs)
          .as("writes resumed after the leader's kill -9, before the failure detector could act")
          .isLessThan(Duration.ofSeconds(12).toMillis());
    }
  }
}
