package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.persistence.cassandra.TestCassandra;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster formation as in Kubernetes ({@code --discovery kubernetes}): real Cairn JVMs on
 * 127.0.0.1, given no seeds, find each other through a stand-in Kubernetes API ({@link
 * KubernetesApiStandIn}) that lists the StatefulSet's pods by the labels k8s/base gives them, each
 * pod with the container port named {@code management} on which its node's Pekko Management
 * endpoint listens. Three pods form one cluster; a fourth pod added to the list (a scale-up) joins
 * it; a pod removed from the list whose process is stopped (SIGTERM, as the kubelet stops a pod)
 * leaves cleanly (exit code 0, not downed), and the three left keep serving writes and reads.
 *
 * <p>Four JVM starts and a formation that waits for the pod list to stay the same: about 45 s on a
 * loaded 2-core machine, so it runs with {@code -Pslow} only (docs/deploy-kubernetes.md).
 */
@Tag("slow")
class KubernetesBootstrapIT {
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void podsFindEachOtherThroughTheKubernetesApiScaleUpAndLeave() throws Exception {
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, "k8s-api-");
    try (KubernetesApiStandIn api = KubernetesApiStandIn.start(dir, "cairn-test")) {
      CairnCluster.Formation kubernetes = api.statefulSet(4);
      try (CairnCluster cluster =
          CairnCluster.start(
              "k8s-bootstrap",
              CairnCluster.Options.relaxed(3),
              kubernetes,
              4,
              TestCassandra.contactPoint())) {
        // start() returned: every node is ready and sees the three Up. One cluster, not three.
        assertThat(cluster.upMembers(0))
            .containsExactlyInAnyOrder(cluster.address(0), cluster.address(1), cluster.address(2));
        assertThat(api.lists()).isGreaterThan(0);
        for (int i = 0; i < 3; i++) {
          assertThat(cluster.node(i).output())
              .as("node %d formed or joined through the discovery, not seeds", i)
              .contains("finding the cluster through the Kubernetes API");
        }
        writeOnOneReadOnAnother(cluster, 0, 2, "k8s/formed");

        cluster.add(3);
        assertThat(cluster.upMembers(3))
            .containsExactlyInAnyOrder(
                cluster.address(0), cluster.address(1), cluster.address(2), cluster.address(3));
        writeOnOneReadOnAnother(cluster, 3, 1, "k8s/scaled-up");

        // Scale down as the StatefulSet does: the highest ordinal's pod goes from the list, and its
        // process gets SIGTERM; coordinated shutdown leaves the cluster.
        api.removePod("cairn-3");
        int code = cluster.terminate(3, Duration.ofMinutes(2));
        // 143: the JVM's own status after SIGTERM once its shutdown hook ran; 3 would be a downing
        assertThat(code).as("a graceful leave, not a downing").isIn(0, 143);
        assertThat(cluster.node(3).output()).doesNotContain("downed by the cluster");
        cluster.awaitAllUp(Duration.ofMinutes(2));
        for (int i = 0; i < 3; i++) {
          assertThat(cluster.upMembers(i))
              .containsExactlyInAnyOrder(
                  cluster.address(0), cluster.address(1), cluster.address(2));
        }
        writeOnOneReadOnAnother(cluster, 1, 0, "k8s/after-leave");
      }
    }
  }

  private static void writeOnOneReadOnAnother(CairnCluster c, int writer, int reader, String key)
      throws IOException, InterruptedException {
    String value = key + "@" + System.nanoTime();
    HttpResponse<String> put = Http.put(c.node(writer).uri("/v1/kv/" + key), value);
    assertThat(put.statusCode()).as("put on node %d: %s", writer, put.body()).isEqualTo(200);
    HttpResponse<String> get = Http.get(c.node(reader).uri("/v1/kv/" + key));
    assertThat(get.statusCode()).as("get on node %d: %s", reader, get.body()).isEqualTo(200);
    assertThat(get.body()).contains(value);
  }
}
