package dev.cairn.persistence.cassandra;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the Cassandra snapshot store, read from its plugin config (see reference.conf, {@code
 * cairn.persistence.cassandra-snapshot-store}).
 *
 * @param contactPoints where the driver first connects ({@code host:port})
 * @param localDatacenter the driver's local data center
 * @param keyspace the keyspace holding the {@code snapshots} table; created if missing
 * @param replicationFactor SimpleStrategy replication factor used when the keyspace is created
 * @param maxLoadAttempts newest matching snapshots a load tries before it fails
 * @param chunkSize the largest piece of a snapshot stored in one row (one CQL message)
 * @param requestTimeout timeout of each driver request
 * @param ddlTimeout timeout of each schema statement
 * @param reconnectMinDelay how soon the driver first tries again to reach a Cassandra node it lost
 * @param reconnectMaxDelay the longest wait between two such tries
 */
public record CassandraSnapshotSettings(
    List<InetSocketAddress> contactPoints,
    String localDatacenter,
    String keyspace,
    int replicationFactor,
    int maxLoadAttempts,
    int chunkSize,
    Duration requestTimeout,
    Duration ddlTimeout,
    Duration reconnectMinDelay,
    Duration reconnectMaxDelay) {

  public CassandraSnapshotSettings {
    contactPoints = List.copyOf(contactPoints);
    if (maxLoadAttempts < 1) {
      throw new IllegalArgumentException("max-load-attempts must be >= 1: " + maxLoadAttempts);
    }
    if (chunkSize < 1024 || chunkSize > 8 * 1024 * 1024) {
      throw new IllegalArgumentException(
          "chunk-size must be between 1 KiB and 8 MiB (a CQL message is at most 16 MiB): "
              + chunkSize);
    }
  }

  /**
   * Reads the settings from a plugin config such as {@code
   * cairn.persistence.cassandra-snapshot-store}.
   */
  public static CassandraSnapshotSettings fromConfig(Config config) {
    return new CassandraSnapshotSettings(
        config.getStringList("contact-points").stream()
            .map(CassandraJournalSettings::parseHostPort)
            .toList(),
        config.getString("local-datacenter"),
        config.getString("keyspace"),
        config.getInt("replication-factor"),
        config.getInt("max-load-attempts"),
        (int) config.getBytes("chunk-size").longValue(),
        config.getDuration("request-timeout"),
        config.getDuration("ddl-timeout"),
        config.getDuration("reconnect-min-delay"),
        config.getDuration("reconnect-max-delay"));
  }

  /**
   * The journal settings with the same connection, keyspace and timeouts, for the driver
   * configuration and the keyspace statement they share.
   */
  CassandraJournalSettings asJournalSettings() {
    return new CassandraJournalSettings(
        contactPoints,
        localDatacenter,
        keyspace,
        replicationFactor,
        1,
        1,
        requestTimeout,
        ddlTimeout,
        reconnectMinDelay,
        reconnectMaxDelay);
  }
}
