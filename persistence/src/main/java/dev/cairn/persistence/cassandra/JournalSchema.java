package dev.cairn.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import java.util.List;

/**
 * The journal's schema, created idempotently ({@code IF NOT EXISTS}) on a session of its own with
 * the driver's schema metadata off (with it on, each DDL statement waits for a metadata refresh).
 *
 * <pre>
 * messages: PRIMARY KEY ((persistence_id, partition_nr), sequence_nr)
 *   one row per event; appended with INSERT ... IF NOT EXISTS, so a taken sequence number is refused
 * metadata: PRIMARY KEY (persistence_id)
 *   deleted_to: events up to it are deleted (never lowered)
 * </pre>
 */
public final class JournalSchema {

  private JournalSchema() {}

  /** The CQL statements, in order. */
  public static List<String> statements(CassandraJournalSettings settings) {
    String ks = settings.keyspace();
    return List.of(
        "CREATE KEYSPACE IF NOT EXISTS "
            + ks
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
            + settings.replicationFactor()
            + "}",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".messages (persistence_id text, partition_nr bigint, sequence_nr bigint,"
            + " writer_uuid text, repr blob,"
            + " PRIMARY KEY ((persistence_id, partition_nr), sequence_nr))"
            + " WITH compaction = {'class': 'SizeTieredCompactionStrategy'}",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".metadata (persistence_id text PRIMARY KEY, deleted_to bigint)");
  }

  /** Creates the keyspace and tables when missing; blocks until Cassandra has applied them. */
  public static void create(CassandraJournalSettings settings) {
    ProgrammaticDriverConfigLoaderBuilder config =
        CassandraJournal.driverConfig(settings)
            .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, settings.ddlTimeout());
    try (DriverConfigLoader loader = config.build();
        CqlSession ddl =
            CqlSession.builder()
                .addContactPoints(settings.contactPoints())
                .withLocalDatacenter(settings.localDatacenter())
                .withConfigLoader(loader)
                .build()) {
      for (String statement : statements(settings)) {
        ddl.execute(statement);
      }
    }
  }
}
