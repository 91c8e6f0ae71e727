package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import dev.cairn.core.Limits;
import java.time.Duration;

/**
 * A namespace leader's settings, read from {@code cairn.namespace} and {@code cairn.limits}.
 *
 * @param snapshotEvery events between snapshots
 * @param retainRevisions history kept by automatic compaction; 0 turns it off
 * @param tickInterval how often lease deadlines and automatic compaction are checked
 * @param askTimeout how long a caller waits for a leader's answer
 * @param absentIdle how long the leader of a namespace that does not exist stays without requests
 *     before it stops
 * @param passivateIdle how long the leader of an existing namespace without leases stays without
 *     requests before it stops; zero keeps it running
 */
public record NamespaceSettings(
    Limits limits,
    long snapshotEvery,
    long retainRevisions,
    Duration tickInterval,
    Duration askTimeout,
    Duration absentIdle,
    Duration passivateIdle) {

  /**
   * The journal plugin id for namespace actors; empty selects Pekko's default. Read from the
   * configuration directly because Pekko asks for it in the persistent actor's superclass
   * constructor, before the actor's own fields exist.
   */
  public static String journalPluginId(Config root) {
    return root.getString("cairn.namespace.journal-plugin");
  }

  /** The snapshot store plugin id; empty selects Pekko's default. See {@link #journalPluginId}. */
  public static String snapshotPluginId(Config root) {
    return root.getString("cairn.namespace.snapshot-plugin");
  }

  /**
   * Whether leaders on journal plugin {@code journalPluginId} (resolved, not empty) confirm they
   * have no successor before answering linearizable reads: {@code cairn.namespace.read-barrier}, or
   * with {@code auto} whether the plugin's config says it answers last-write probes.
   */
  public static boolean readBarrier(Config root, String journalPluginId) {
    String mode = root.getString("cairn.namespace.read-barrier");
    switch (mode) {
      case "on":
        return true;
      case "off":
        return false;
      case "auto":
        String key = journalPluginId + ".answers-last-write";
        return root.hasPath(key) && root.getBoolean(key);
      default:
        throw new IllegalArgumentException(
            "cairn.namespace.read-barrier must be on, off or auto, not '" + mode + "'");
    }
  }

  /**
   * Whether this node keeps a replica of every namespace it serves, to answer serializable reads
   * and watches locally: {@code cairn.replica.enabled}, or with {@code auto} whether nodes share a
   * journal ({@code cairn.namespace.cluster-registry}, on in a cluster). Off, a single node's
   * serializable reads and watches are served from its leaders' state, as always.
   */
  public static boolean replicas(Config root) {
    String mode = root.getString("cairn.replica.enabled");
    switch (mode) {
      case "on":
        return true;
      case "off":
        return false;
      case "auto":
        return root.getBoolean("cairn.namespace.cluster-registry");
      default:
        throw new IllegalArgumentException(
            "cairn.replica.enabled must be on, off or auto, not '" + mode + "'");
    }
  }

  public static NamespaceSettings fromConfig(Config root) {
    Config c = root.getConfig("cairn.namespace");
    Config l = root.getConfig("cairn.limits");
    Limits limits =
        new Limits(
            (int) l.getBytes("max-key-size").longValue(),
            (int) l.getBytes("max-value-size").longValue(),
            l.getInt("max-txn-ops"),
            l.getDuration("min-lease-ttl").toSeconds(),
            l.getDuration("max-lease-ttl").toSeconds());
    return new NamespaceSettings(
        limits,
        c.getLong("snapshot-every"),
        c.getLong("retain-revisions"),
        c.getDuration("tick-interval"),
        c.getDuration("ask-timeout"),
        c.getDuration("absent-idle"),
        c.getDuration("passivate-idle"));
  }
}
