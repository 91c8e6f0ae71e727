package dev.cairn.persistence.cassandra;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Settings of the Cassandra journal, read from its plugin config (see reference.conf, {@code
 * cairn.persistence.cassandra-journal}).
 *
 * @param contactPoints where the driver first connects ({@code host:port})
 * @param localDatacenter the driver's local data center ({@code datacenter1} for SimpleSnitch)
 * @param keyspace the keyspace holding the journal tables; created if missing
 * @param replicationFactor SimpleStrategy replication factor used when the keyspace is created
 * @param partitionSize events per Cassandra partition of one persistence id
 * @param maxBatchBytes bytes of serialized events one conditional batch gathers at most
 * @param requestTimeout timeout of each driver request
 * @param ddlTimeout timeout of each schema statement
 * @param reconnectMinDelay how soon the driver first tries again to reach a Cassandra node it lost
 * @param reconnectMaxDelay the longest wait between two such tries (the delay doubles up to it)
 */
public record CassandraJournalSettings(
    List<InetSocketAddress> contactPoints,
    String localDatacenter,
    String keyspace,
    int replicationFactor,
    long partitionSize,
    long maxBatchBytes,
    Duration requestTimeout,
    Duration ddlTimeout,
    Duration reconnectMinDelay,
    Duration reconnectMaxDelay) {

  private static final Pattern KEYSPACE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]{0,47}");

  public CassandraJournalSettings {
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("contact-points must not be empty");
    }
    if (!KEYSPACE.matcher(keyspace).matches()) {
      throw new IllegalArgumentException(
          "keyspace must be a letter then up to 47 letters, digits or '_': " + keyspace);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication-factor must be >= 1: " + replicationFactor);
    }
    if (partitionSize < 1) {
      throw new IllegalArgumentException("partition-size must be >= 1: " + partitionSize);
    }
    if (reconnectMinDelay.isNegative()
        || reconnectMinDelay.isZero()
        || reconnectMaxDelay.compareTo(reconnectMinDelay) < 0) {
      throw new IllegalArgumentException(
          "reconnect-min-delay must be > 0 and <= reconnect-max-delay: "
              + reconnectMinDelay
              + ", "
              + reconnectMaxDelay);
    }
    contactPoints = List.copyOf(contactPoints);
  }

  /**
   * Reads the settings from a plugin config such as {@code cairn.persistence.cassandra-journal}.
   */
  public static CassandraJournalSettings fromConfig(Config config) {
    return new CassandraJournalSettings(
        config.getStringList("contact-points").stream()
            .map(CassandraJournalSettings::parseHostPort)
            .toList(),
        config.getString("local-datacenter"),
        config.getString("keyspace"),
        config.getInt("replication-factor"),
        config.getLong("partition-size"),
        config.getBytes("max-batch-bytes"),
        config.getDuration("request-timeout"),
        config.getDuration("ddl-timeout"),
        config.getDuration("reconnect-min-delay"),
        config.getDuration("reconnect-max-delay"));
  }

  /** {@code host:port} to an unresolved address (resolved by the driver). */
  static InetSocketAddress parseHostPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("contact point must be host:port: " + hostPort);
    }
    return InetSocketAddress.createUnresolved(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /** The partition of sequence number {@code sequenceNr} (1-based) of a persistence id. */
  long partitionOf(long sequenceNr) {
    return (Math.max(1, sequenceNr) - 1) / partitionSize;
  }
}
