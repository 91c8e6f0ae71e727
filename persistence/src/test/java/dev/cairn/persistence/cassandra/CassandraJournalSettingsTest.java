package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CassandraJournalSettingsTest {
  /** Unresolved, as ConfigFactory.load merges it under the application's config. */
  private static Config reference() {
    return ConfigFactory.parseResources("reference.conf");
  }

  private static Config journal(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(reference())
        .resolve()
        .getConfig("cairn.persistence.cassandra-journal");
  }

  @Test
  void reconnectionDelaysComeFromTheConfigAndReachTheDriver() {
    CassandraJournalSettings s =
        CassandraJournalSettings.fromConfig(
            journal(
                "cairn.persistence.cassandra-journal { reconnect-min-delay = 100ms,"
                    + " reconnect-max-delay = 5s }"));
    assertThat(s.reconnectMinDelay()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.reconnectMaxDelay()).isEqualTo(Duration.ofSeconds(5));

    DriverExecutionProfile profile =
        CassandraJournal.driverConfig(s).build().getInitialConfig().getDefaultProfile();
    assertThat(profile.getDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY))
        .isEqualTo(Duration.ofMillis(100));
    assertThat(profile.getDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY))
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void theSnapshotStoreFollowsTheJournalsReconnectionDelays() {
    Config c =
        ConfigFactory.parseString(
                "cairn.persistence.cassandra-journal { reconnect-min-delay = 300ms,"
                    + " reconnect-max-delay = 3s }")
            .withFallback(reference())
            .resolve();
    CassandraSnapshotSettings s =
        CassandraSnapshotSettings.fromConfig(
            c.getConfig("cairn.persistence.cassandra-snapshot-store"));
    assertThat(s.asJournalSettings().reconnectMinDelay()).isEqualTo(Duration.ofMillis(300));
    assertThat(s.asJournalSettings().reconnectMaxDelay()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aMaximumBelowTheMinimumIsRefused() {
    assertThatThrownBy(
            () ->
                CassandraJournalSettings.fromConfig(
                    journal(
                        "cairn.persistence.cassandra-journal { reconnect-min-delay = 5s,"
                            + " reconnect-max-delay = 1s }")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reconnect-min-delay");
  }
}
