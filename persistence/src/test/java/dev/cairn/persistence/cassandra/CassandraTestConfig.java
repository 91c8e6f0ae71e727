package dev.cairn.persistence.cassandra;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.UUID;

/** Actor-system configuration selecting the Cassandra journal on the test Cassandra. */
public final class CassandraTestConfig {

  private CassandraTestConfig() {}

  /** A keyspace name of its own, so that tests never see each other's persistence ids. */
  public static String freshKeyspace(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /** The journal plugin on {@code keyspace} of the test Cassandra, replication factor 1. */
  public static Config journal(String keyspace) {
    String plugin = "cairn.persistence.cassandra-journal";
    // The machine is shared and Cassandra's Paxos rounds slow under load: room for the TCK's 3 s.
    return ConfigFactory.parseString("pekko.test.timefactor = 10")
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef(plugin))
        .withValue(
            "pekko.persistence.snapshot-store.plugin",
            ConfigValueFactory.fromAnyRef("pekko.persistence.no-snapshot-store"))
        .withValue(
            plugin + ".contact-points",
            ConfigValueFactory.fromIterable(List.of(TestCassandra.contactPoint())))
        .withValue(plugin + ".keyspace", ConfigValueFactory.fromAnyRef(keyspace))
        .withValue(plugin + ".replication-factor", ConfigValueFactory.fromAnyRef(1))
        .withFallback(ConfigFactory.load());
  }

  /**
   * {@link #journal} with the keyspace and tables already created, so that the journal's own start
   * (which blocks until the schema exists) is quick: the TCK's first write waits for it.
   */
  public static Config journalWithSchema(String keyspace) {
    Config config = journal(keyspace);
    JournalSchema.create(
        CassandraJournalSettings.fromConfig(
            config.getConfig("cairn.persistence.cassandra-journal")));
    return config;
  }
}
