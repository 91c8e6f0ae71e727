package dev.cairn.persistence.snapshot;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Settings of the snapshot store.
 *
 * @param dir directory holding one file per snapshot
 * @param fsync force each snapshot file and its directory entry before acknowledging; off is for
 *     tests
 * @param maxLoadAttempts how many of the newest matching snapshots a load tries before failing
 */
public record SnapshotSettings(Path dir, boolean fsync, int maxLoadAttempts) {

  public SnapshotSettings {
    if (dir == null) {
      throw new IllegalArgumentException("snapshot dir must be set");
    }
    if (maxLoadAttempts < 1) {
      throw new IllegalArgumentException(
          "max-load-attempts must be at least 1, was " + maxLoadAttempts);
    }
  }

  /**
   * Reads the plugin's config block (see reference.conf under {@code
   * cairn.persistence.snapshot-store}).
   */
  public static SnapshotSettings fromConfig(Config config) {
    return new SnapshotSettings(
        Path.of(config.getString("dir")),
        config.getBoolean("fsync"),
        config.getInt("max-load-attempts"));
  }
}
