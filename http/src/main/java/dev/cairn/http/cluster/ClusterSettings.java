package dev.cairn.http.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.cairn.actors.replica.ReplicaFirstSnapshotStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * @param memberFile a file this node writes once it is an Up member of a cluster; empty for none.
 *     Found at start, it makes the node a rejoining one (see {@link #rejoining()})
 * @param closedPorts whether and how this node downs members whose cluster port is closed (see
 *     {@link ClosedPortDowning})
 * @param discovery how this node finds its peers when it has no seeds: not at all (a cluster of its
 *     own), or through the Kubernetes API (Pekko Cluster Bootstrap, see {@link Bootstrap})
 */
public record ClusterSettings(
    String host,
    int port,
    List<String> seeds,
    Journal journal,
    List<String> cassandra,
    Duration retryMin,
    Duration retryMax,
    String memberFile,
    ClosedPorts closedPorts,
    Discovery discovery) {

  /**
   * {@code cairn.cluster.down-closed-ports} and its timings.
   *
   * @param down whether a member whose cluster port refuses connections is downed at once
   * @param every how often each other Up member's port is probed
   * @param connectTimeout a connection attempt that takes longer proves nothing either way
   */
  public record ClosedPorts(boolean down, Duration every, Duration connectTimeout) {}

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

  /** How a node without seeds finds its peers ({@code cairn.cluster.discovery}). */
  public enum Discovery {
    /** It does not: with no seeds it forms a cluster of its own. */
    NONE,
    /**
     * Pekko Cluster Bootstrap asks the Kubernetes API for the pods of this StatefulSet, probes
     * their management endpoints, and joins the cluster they run (or, none running, the pod with
     * the lowest address forms it).
     */
    KUBERNETES;

    /** The name used in configuration: {@code none} or {@code kubernetes}. */
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
    if (discovery == Discovery.KUBERNETES && !seeds.isEmpty()) {
      throw new InvalidSettingException(
          "--discovery kubernetes and --seed both say how to find the cluster: give one of them");
    }
    if (journal == Journal.EMBEDDED && discovery == Discovery.KUBERNETES) {
      throw new InvalidSettingException(
          "--discovery kubernetes needs --journal cassandra: the embedded journal is local to one"
              + " node, and the nodes of a cluster must share their journal");
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
    if (j == Journal.CASSANDRA) {
      checkFrames(config);
    }
    String discovery = c.getString("discovery");
    Discovery d;
    try {
      d = Discovery.valueOf(discovery.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(
          "--discovery (cairn.cluster.discovery) must be none or kubernetes, not '"
              + discovery
              + "'");
    }
    return new ClusterSettings(
        c.getString("host"),
        c.getInt("port"),
        c.getStringList("seeds"),
        j,
        c.getStringList("cassandra"),
        c.getDuration("cassandra-retry-min"),
        c.getDuration("cassandra-retry-max"),
        c.getString("member-file"),
        new ClosedPorts(
            c.getBoolean("down-closed-ports"),
            c.getDuration("closed-port-probe-interval"),
            c.getDuration("closed-port-connect-timeout")),
        d);
  }

  /**
   * Every request the API accepts must fit in one Artery frame, or a node that does not lead its
   * namespace would forward it to be dropped on the way (the client would time out). Checked for
   * nodes of a cluster (a shared journal) only: a single node forwards nothing.
   */
  private static void checkFrames(Config config) {
    long body = config.getBytes("cairn.http.max-body-size");
    for (String key :
        List.of(
            "pekko.remote.artery.advanced.maximum-frame-size",
            "pekko.remote.artery.advanced.maximum-large-frame-size")) {
      long frame = config.getBytes(key);
      if (body + FRAME_ALLOWANCE > frame) {
        throw new InvalidSettingException(
            "cairn.http.max-body-size ("
                + body
                + " bytes) + 64 KiB must fit in "
                + key
                + " ("
                + frame
                + " bytes): raise the frame or lower the body size");
      }
    }
  }

  /** Room for a request's envelope and Artery's header around the largest body. */
  private static final long FRAME_ALLOWANCE = 64 * 1024;

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

  /** True when this node finds its peers through the Kubernetes API rather than seeds. */
  public boolean discovers() {
    return discovery == Discovery.KUBERNETES;
  }

  /** True when this node writes to the shared Cassandra journal, i.e. it may have peers. */
  public boolean shared() {
    return journal == Journal.CASSANDRA;
  }

  /** This node's own entry in a seed list: {@code host:port}. */
  public String self() {
    return host + ":" + port;
  }

  /** The seeds other than this node. */
  public List<String> otherSeeds() {
    return seeds.stream().filter(s -> !s.equals(self())).toList();
  }

  /**
   * True when this node heads the seed list, so that Pekko would have it form a new cluster by
   * itself whenever no other seed answers within {@code pekko.cluster.seed-node-timeout}.
   */
  public boolean firstSeed() {
    return !seeds.isEmpty() && seeds.get(0).equals(self()) && !otherSeeds().isEmpty();
  }

  /**
   * True when this node is the first seed and has been a cluster member before (its {@link
   * #memberFile} exists): it is coming back to a cluster that may well be running, so it only joins
   * (the other seeds first, itself last), and forms a cluster of its own only once a majority of
   * the seeds, itself included, answer and none of them is a member (the whole cluster is
   * restarting; see {@link JoinWatch}).
   */
  public boolean rejoining() {
    return firstSeed() && !memberFile.isEmpty() && Files.exists(Path.of(memberFile));
  }

  /** Records that this node has been an Up member (see {@link #rejoining()}). */
  public void recordMembership() throws IOException {
    if (memberFile.isEmpty()) {
      return;
    }
    Path f = Path.of(memberFile);
    if (f.getParent() != null) {
      Files.createDirectories(f.getParent());
    }
    Files.writeString(f, "an Up member of the cluster of seeds " + seeds + "\n");
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
                    pekkoSeeds().stream().map(ClusterSettings::address).toList()));
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
              // A leader recovers from this node's replica when it is newer than the stored
              // snapshot: a failover replays only the tail the replica lacks.
              .withValue(
                  "cairn.persistence.cassandra-snapshot-store.class",
                  ConfigValueFactory.fromAnyRef(ReplicaFirstSnapshotStore.class.getName()))
              .withValue("cairn.namespace.cluster-registry", ConfigValueFactory.fromAnyRef(true));
    }
    return out;
  }

  /**
   * The seed list Pekko gets: as given, except for a {@link #rejoining()} node, which lists itself
   * last so that Pekko only ever joins another seed through it (a node that heads its seed list
   * joins itself when no other seed answers within the seed-node timeout, which a loaded or slow
   * cluster exceeds: it would form a second cluster beside the running one).
   */
  List<String> pekkoSeeds() {
    if (!rejoining()) {
      return seeds;
    }
    List<String> out = new java.util.ArrayList<>(otherSeeds());
    out.add(self());
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
