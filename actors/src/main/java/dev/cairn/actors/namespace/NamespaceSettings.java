package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import dev.cairn.core.Limits;
import java.time.Duration;

/**
 * A namespace leader's settings, read from {@code cairn.namespace} and {@code cairn.limits}.
 *
 * @param journalPluginId empty for Pekko's default journal
 * @param snapshotPluginId empty for Pekko's default snapshot store
 * @param snapshotEvery events between snapshots
 * @param retainRevisions history kept by automatic compaction; 0 turns it off
 * @param tickInterval how often lease deadlines and automatic compaction are checked
 */
public record NamespaceSettings(
    Limits limits,
    String journalPluginId,
    String snapshotPluginId,
    long snapshotEvery,
    long retainRevisions,
    Duration tickInterval,
    Duration askTimeout) {

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
        c.getString("journal-plugin"),
        c.getString("snapshot-plugin"),
        c.getLong("snapshot-every"),
        c.getLong("retain-revisions"),
        c.getDuration("tick-interval"),
        c.getDuration("ask-timeout"));
  }
}
