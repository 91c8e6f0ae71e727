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
 * @param minFreeSpace a snapshot is skipped when writing it would leave fewer free bytes than this
 *     on the directory's filesystem, so that snapshots never take the journal's last space
 */
public record SnapshotSettings(Path dir, boolean fsync, int maxLoadAttempts, long minFreeSpace) {

  public SnapshotSettings {
    if (dir == null) {
      throw new IllegalArgumentException("snapshot dir must be set");
    }
    if (maxLoadAttempts < 1) {
      throw new IllegalArgumentException(
          "max-load-attempts must be at least 1, was " + maxLoadAttempts);
    }
    if (minFreeSpace < 0) {
      throw new IllegalArgumentException(
          "min-free-space must not be negative, was " + minFreeSpace);
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
        config.getInt("max-load-attempts"),
        config.getBytes("min-free-space"));
  }
}
