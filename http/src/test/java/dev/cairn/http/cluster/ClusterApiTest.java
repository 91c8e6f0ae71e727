package dev.cairn.http.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
import dev.cairn.http.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /v1/cluster} on a single node (the three-node answers: multi-jvm-tests' ClusterIT).
 */
@ExtendWith(SharedServer.class)
class ClusterApiTest {

  @Test
  void aSingleNodeIsItsOnlyUpMemberAndLeadsEveryNamespace(TestServer s) {
    s.createNamespace("cluster-api");
    s.putKv("cluster-api", "k", "v");
    JsonNode c = s.get("/v1/cluster").ok();
    String self = s.server().clusterAddress();
    assertThat(c.path("self").asText()).isEqualTo(self).startsWith("pekko://cairn@127.0.0.1:");
    assertThat(c.path("journal").asText()).isEqualTo("embedded");
    assertThat(c.path("members")).hasSize(1);
    JsonNode m = c.path("members").get(0);
    assertThat(m.path("address").asText()).isEqualTo(self);
    assertThat(m.path("status").asText()).isEqualTo("up");
    assertThat(m.path("reachable").asBoolean()).isTrue();
    assertThat(c.path("unreachable")).isEmpty();
    assertThat(c.path("leaders").path("default").asText()).isEqualTo(self);
    assertThat(c.path("leaders").path("cluster-api").asText()).isEqualTo(self);
    assertThat(c.path("leaders_running").path(self).asInt()).isGreaterThanOrEqualTo(2);
    assertThat(c.path("cluster_leader").asText()).isEqualTo(self);
  }

  @Test
  void aBodyLimitLargerThanArterysFrameIsRefusedAtAClusterNodesStart() {
    var base = com.typesafe.config.ConfigFactory.load();
    var cluster =
        com.typesafe.config.ConfigFactory.parseString(
            "cairn.cluster { journal = cassandra, cassandra = [\"127.0.0.1:9042\"] }");
    // The defaults fit: any request the API accepts crosses nodes in one frame.
    assertThat(base.getBytes("pekko.remote.artery.advanced.maximum-frame-size"))
        .isGreaterThanOrEqualTo(base.getBytes("cairn.http.max-body-size") + 64 * 1024);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ClusterSettings.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString("cairn.http.max-body-size = 3MiB")
                        .withFallback(cluster)
                        .withFallback(base)))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("maximum-frame-size");
    // A single node forwards nothing: its body limit is its own business.
    assertThat(
            ClusterSettings.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString("cairn.http.max-body-size = 3MiB")
                        .withFallback(base))
                .journal())
        .isEqualTo(ClusterSettings.Journal.EMBEDDED);
  }

  @Test
  void onlyGetIsAllowed(TestServer s) {
    assertThat(s.post("/v1/cluster", "{}").status()).isEqualTo(405);
  }

  @Test
  void settingsThatCannotWorkAreRefusedWithTheFlagToChange() {
    var base = com.typesafe.config.ConfigFactory.load();
    assertThat(ClusterSettings.fromConfig(base).journal())
        .isEqualTo(ClusterSettings.Journal.EMBEDDED);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ClusterSettings.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString("cairn.cluster.journal = h2")
                        .withFallback(base)))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("--journal");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ClusterSettings.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString(
                            "cairn.cluster { journal = cassandra, cassandra = [\"localhost\"] }")
                        .withFallback(base)))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("--cassandra");
  }
}
