package dev.cairn.http.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

/**
 * This node's place in a cluster, read from {@code cairn.cluster} (see reference.conf): where its
 * cluster traffic listens, which seeds it joins, and which journal its namespace leaders write.
 *
 * @param host address of cluster traffic (bound and advertised)
 * @param port port of cluster traffic; 0 = any free one
 * @param seeds other nodes' cluster addresses, {@code host:port}
 * @param journal where leaders write their events
 * @param cassandra Cassandra contact points, {@code host:port}; non-empty for {@link
 *     Journal#CASSANDRA}
 * @param retryMin first wait between attempts to reach Cassandra at start
 * @param retryMax longest wait between attempts to reach Cassandra at start
 */
public record ClusterSettings(
    String host,
    int port,
    List<String> seeds,
    Journal journal,
    List<String> cassandra,
    Duration retryMin,
    Duration retryMax) {

  /** The system name is part of every cluster address: every node uses this one. */
  public static final String SYSTEM_NAME = "cairn";

  /** The journal namespace leaders write to. */
  public enum Journal {
    /** This node's own forced log: a single node. */
    EMBEDDED,
    /** The fenced Cassandra journal and the Cassandra snapshot store: a cluster. */
    CASSANDRA;

    /** The name used in configuration and answers: {@code embedded} or {@code cassandra}. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A setting that cannot work; its message says what to change, in the user's terms. */
  public static final class InvalidSettingException extends RuntimeException {
    public InvalidSettingException(String message) {
      super(message);
    }
  }

  public ClusterSettings {
    seeds = List.copyOf(seeds);
    cassandra = List.copyOf(cassandra);
    if (port < 0 || port > 65535) {
      throw new InvalidSettingException(
          "--cluster-port (cairn.cluster.port) must be a port number, 0..65535: " + port);
    }
    for (String s : seeds) {
      checkHostPort(s, "--seed (cairn.cluster.seeds)");
    }
    for (String c : cassandra) {
      checkHostPort(c, "--cassandra (cairn.cluster.cassandra)");
    }
    if (journal == Journal.CASSANDRA && cassandra.isEmpty()) {
      throw new InvalidSettingException(
          "--journal cassandra needs --cassandra HOST:PORT[,...] (cairn.cluster.cassandra):"
              + " the contact points of the Cassandra cluster holding the journal");
    }
    if (journal == Journal.EMBEDDED && !seeds.isEmpty()) {
      throw new InvalidSettingException(
          "--seed needs --journal cassandra: the embedded journal is local to one node, and the"
              + " nodes of a cluster must share their journal");
    }
  }

  /** Reads {@code cairn.cluster} of {@code config}. */
  public static ClusterSettings fromConfig(Config config) {
    Config c = config.getConfig("cairn.cluster");
    String journal = c.getString("journal");
    Journal j;
    try {
      j = Journal.valueOf(journal.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(
          "--journal (cairn.cluster.journal) must be embedded or cassandra, not '" + journal + "'");
    }
    return new ClusterSettings(
        c.getString("host"),
        c.getInt("port"),
        c.getStringList("seeds"),
        j,
        c.getStringList("cassandra"),
        c.getDuration("cassandra-retry-min"),
        c.getDuration("cassandra-retry-max"));
  }

  private static void checkHostPort(String hostPort, String what) {
    int colon = hostPort.lastIndexOf(':');
    boolean ok = colon > 0 && colon < hostPort.length() - 1;
    if (ok) {
      try {
        int p = Integer.parseInt(hostPort.substring(colon + 1));
        ok = p >= 1 && p <= 65535;
      } catch (NumberFormatException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new InvalidSettingException(what + " takes HOST:PORT, not '" + hostPort + "'");
    }
  }

  /** True when this node writes to the shared Cassandra journal, i.e. it may have peers. */
  public boolean shared() {
    return journal == Journal.CASSANDRA;
  }

  /** The cluster address of a node at {@code hostPort}: {@code pekko://cairn@host:port}. */
  public static String address(String hostPort) {
    return "pekko://" + SYSTEM_NAME + "@" + hostPort;
  }

  /**
   * The Pekko and plugin keys these settings decide, to be laid over the rest of the configuration:
   * Artery's canonical address, the seed nodes, and with Cassandra the journal and snapshot
   * plugins, their contact points and a cluster-wide namespace registry.
   */
  public Config pekkoConfig() {
    Config out =
        ConfigFactory.empty()
            .withValue(
                "pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
            .withValue(
                "pekko.cluster.seed-nodes",
                ConfigValueFactory.fromIterable(
                    seeds.stream().map(ClusterSettings::address).toList()));
    if (journal == Journal.CASSANDRA) {
      out =
          out.withValue(
                  "pekko.persistence.journal.plugin",
                  ConfigValueFactory.fromAnyRef("cairn.persistence.cassandra-journal"))
              .withValue(
                  "pekko.persistence.snapshot-store.plugin",
                  ConfigValueFactory.fromAnyRef("cairn.persistence.cassandra-snapshot-store"))
              .withValue(
                  "cairn.persistence.cassandra-journal.contact-points",
                  ConfigValueFactory.fromIterable(cassandra))
              .withValue(
                  "cairn.persistence.cassandra-snapshot-store.contact-points",
                  ConfigValueFactory.fromIterable(cassandra))
              .withValue("cairn.namespace.cluster-registry", ConfigValueFactory.fromAnyRef(true));
    }
    return out;
  }

  /**
   * Fails with a clear message when the cluster port is taken, before the actor system tries it
   * (Artery would fail with a stack trace). Port 0 is always free.
   */
  public void checkPortFree() {
    if (port == 0) {
      return;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new InvalidSettingException(
          "cluster port "
              + host
              + ":"
              + port
              + " is not available ("
              + e.getMessage()
              + "): another process uses it; choose another --cluster-port");
    }
  }
}
