package dev.cairn.persistence.cassandra;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/** The Pekko Persistence snapshot store TCK against {@link CassandraSnapshotStore}. */
@RunWith(JUnitRunner.class)
public class CassandraSnapshotStoreTckTest extends JavaSnapshotStoreSpec {

  public CassandraSnapshotStoreTckTest() {
    super(config(CassandraTestConfig.freshKeyspace("snaptck")));
  }

  private static Config config(String keyspace) {
    String plugin = "cairn.persistence.cassandra-snapshot-store";
    Config config =
        CassandraTestConfig.journal(keyspace)
            .withValue(
                "pekko.persistence.snapshot-store.plugin", ConfigValueFactory.fromAnyRef(plugin))
            .withValue(
                plugin + ".contact-points",
                ConfigValueFactory.fromIterable(List.of(TestCassandra.contactPoint())))
            .withValue(plugin + ".keyspace", ConfigValueFactory.fromAnyRef(keyspace));
    // The schema first, so that the store's own start (which blocks until it exists) is quick.
    CassandraSnapshotStore.createSchema(
        CassandraSnapshotSettings.fromConfig(config.getConfig(plugin)));
    return config;
  }
}
