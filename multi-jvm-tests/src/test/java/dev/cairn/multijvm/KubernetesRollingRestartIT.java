package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.persistence.cassandra.TestCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A StatefulSet's rolling update, as Kubernetes runs it, under load: three nodes formed through the
 * Kubernetes API (as in {@link KubernetesBootstrapIT}), ten clients writing and reading throughout
 * ({@link ClusterScenario}); the pods are replaced from the highest ordinal down: the pod leaves
 * the API's list (Terminating), its process gets SIGTERM, a new one starts on the same name and
 * ports, and the next pod waits until it is ready ({@code /ready}) and every node sees every node
 * Up. Per pod it prints the longest stretch without an acknowledged write from SIGTERM until writes
 * went on after the exit, and over the whole replacement (SIGTERM to ready and writes flowing
 * again, including the leaders that come back to the new pod). The whole history, ending with a
 * read of every key on every node, must be linearizable: no acknowledged write lost.
 *
 * <p>Runs with {@code -Pslow} only (about two minutes); its figures are in docs/benchmarks.md.
 */
@Tag("slow")
class KubernetesRollingRestartIT {
  private static final Duration LEAVE_TIMEOUT = Duration.ofMinutes(2);

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void aRollingUpdateInStatefulSetOrderLosesNothing() throws Exception {
    long seed = ClusterScenario.seed();
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, "k8s-rolling-");
    try (KubernetesApiStandIn api = KubernetesApiStandIn.start(dir, "cairn-test");
        CairnCluster cluster =
            CairnCluster.start(
                "k8s-rolling",
                CairnCluster.Options.relaxed(3),
                api.statefulSet(3),
                3,
                TestCassandra.contactPoint());
        RegisterWorkload load = ClusterScenario.workload(cluster, seed)) {
      load.start();
      ClusterScenario.awaitAcknowledged(cluster, load, 200);

      for (int i = cluster.size() - 1; i >= 0; i--) {
        boolean led = cluster.leaderOf("default") == i;
        api.removePod("cairn-" + i);
        long leftAt = System.nanoTime();
        int code = cluster.terminate(i, LEAVE_TIMEOUT);
        long exitedAt = System.nanoTime();
        assertThat(code)
            .as("pod %d's exit code after SIGTERM (143: the JVM's own)", i)
            .isIn(0, 143);
        ClusterScenario.awaitAcknowledgedSince(cluster, load, exitedAt, 50);
        long leaveSilenceMs =
            ClusterScenario.longestSilenceMillis(load.history().ops(), leftAt, System.nanoTime());
        cluster.restart(i); // the pod is listed again when its process starts
        long readyAt = System.nanoTime();
        ClusterScenario.awaitAcknowledgedSince(cluster, load, readyAt, 100);
        long wholeSilenceMs =
            ClusterScenario.longestSilenceMillis(load.history().ops(), leftAt, System.nanoTime());
        System.out.printf(
            "k8s-rolling: pod cairn-%d%s exited %d ms after SIGTERM; longest stretch without an"
                + " acknowledged write from SIGTERM until writes went on: %d ms; over the whole"
                + " replacement: %d ms; ready %d ms after the exit (seed %d)%n",
            i,
            led ? " (leader of default)" : "",
            (exitedAt - leftAt) / 1_000_000,
            leaveSilenceMs,
            wholeSilenceMs,
            (readyAt - exitedAt) / 1_000_000,
            seed);
      }
      ClusterScenario.stopAndCheck("k8s-rolling", cluster, load, seed);
    }
  }
}
