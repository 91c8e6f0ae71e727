package dev.cairn.http.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed list Pekko gets, and when a first seed rejoins instead of forming a cluster. */
class ClusterSettingsTest {
  @TempDir Path dir;

  private ClusterSettings settings(int port, List<String> seeds) {
    return ClusterSettings.fromConfig(
        ConfigFactory.parseMap(
                Map.of(
                    "cairn.cluster.port",
                    port,
                    "cairn.cluster.seeds",
                    seeds,
                    "cairn.cluster.journal",
                    "cassandra",
                    "cairn.cluster.cassandra",
                    List.of("127.0.0.1:9042"),
                    "cairn.cluster.member-file",
                    dir.resolve("cluster-member").toString()))
            .withFallback(ConfigFactory.load()));
  }

  private static List<String> pekkoSeeds(ClusterSettings s) {
    return s.pekkoConfig().getStringList("pekko.cluster.seed-nodes");
  }

  @Test
  void aFirstSeedThatHasNeverBeenAMemberFormsTheClusterAsPekkoDoes() {
    ClusterSettings s = settings(7301, List.of("127.0.0.1:7301", "127.0.0.1:7302"));
    assertThat(s.firstSeed()).isTrue();
    assertThat(s.rejoining()).isFalse();
    assertThat(pekkoSeeds(s))
        .containsExactly("pekko://cairn@127.0.0.1:7301", "pekko://cairn@127.0.0.1:7302");
  }

  @Test
  void aFirstSeedThatHasBeenAMemberListsItselfLastAndRejoins() throws Exception {
    ClusterSettings s =
        settings(7301, List.of("127.0.0.1:7301", "127.0.0.1:7302", "127.0.0.1:7303"));
    s.recordMembership();
    assertThat(Files.readString(dir.resolve("cluster-member"))).contains("127.0.0.1:7302");
    assertThat(s.rejoining()).isTrue();
    assertThat(s.otherSeeds()).containsExactly("127.0.0.1:7302", "127.0.0.1:7303");
    assertThat(pekkoSeeds(s))
        .containsExactly(
            "pekko://cairn@127.0.0.1:7302",
            "pekko://cairn@127.0.0.1:7303",
            "pekko://cairn@127.0.0.1:7301");
  }

  @Test
  void otherSeedsKeepTheirListWithOrWithoutTheFile() throws Exception {
    ClusterSettings s = settings(7302, List.of("127.0.0.1:7301", "127.0.0.1:7302"));
    s.recordMembership();
    assertThat(s.firstSeed()).isFalse();
    assertThat(s.rejoining()).isFalse();
    assertThat(pekkoSeeds(s))
        .containsExactly("pekko://cairn@127.0.0.1:7301", "pekko://cairn@127.0.0.1:7302");
  }

  @Test
  void aNodeThatIsItsOnlySeedIsNoFirstSeedOfOthers() throws Exception {
    ClusterSettings s = settings(7301, List.of("127.0.0.1:7301"));
    s.recordMembership();
    assertThat(s.firstSeed()).isFalse();
    assertThat(s.rejoining()).isFalse();
    assertThat(pekkoSeeds(s)).containsExactly("pekko://cairn@127.0.0.1:7301");
  }

  private static ClusterSettings discovery(String discovery, String journal, List<String> seeds) {
    return ClusterSettings.fromConfig(
        ConfigFactory.parseMap(
                Map.of(
                    "cairn.cluster.discovery",
                    discovery,
                    "cairn.cluster.seeds",
                    seeds,
                    "cairn.cluster.journal",
                    journal,
                    "cairn.cluster.cassandra",
                    List.of("127.0.0.1:9042")))
            .withFallback(ConfigFactory.load()));
  }

  @Test
  void discoveryIsOffByDefault() {
    assertThat(ClusterSettings.fromConfig(ConfigFactory.load()).discovers()).isFalse();
  }

  @Test
  void kubernetesDiscoveryWithTheCassandraJournalAndNoSeedsIsAccepted() {
    ClusterSettings s = discovery("kubernetes", "cassandra", List.of());
    assertThat(s.discovers()).isTrue();
    assertThat(pekkoSeeds(s)).isEmpty();
  }

  @Test
  void kubernetesDiscoveryRefusesSeedsTheEmbeddedJournalAndUnknownNames() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> discovery("kubernetes", "cassandra", List.of("127.0.0.1:7301")))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("give one of them");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> discovery("kubernetes", "embedded", List.of()))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("needs --journal cassandra");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> discovery("dns", "cassandra", List.of()))
        .isInstanceOf(ClusterSettings.InvalidSettingException.class)
        .hasMessageContaining("none or kubernetes");
  }
}
