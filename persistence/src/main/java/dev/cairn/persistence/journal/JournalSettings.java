package dev.cairn.persistence.journal;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Settings of one {@link ForcedLog}.
 *
 * @param dir directory holding the segments and the LOCK file
 * @param fsync force every group to stable storage before acknowledging it; off is for tests only
 * @param segmentSize roll to a new segment once the current one would grow past this many bytes
 * @param maxGroupBytes upper bound on the bytes one group commit gathers before it forces
 * @param name tag value that tells this journal's metrics apart (the plugin id)
 */
public record JournalSettings(
    Path dir, boolean fsync, long segmentSize, int maxGroupBytes, String name) {

  public static final long MIN_SEGMENT_SIZE = 4096;
  public static final long MAX_SEGMENT_SIZE = 1L << 30;

  public JournalSettings {
    if (dir == null) {
      throw new IllegalArgumentException("journal dir must be set");
    }
    if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
      throw new IllegalArgumentException(
          "segment-size must be between "
              + MIN_SEGMENT_SIZE
              + " and "
              + MAX_SEGMENT_SIZE
              + " bytes, was "
              + segmentSize);
    }
    if (maxGroupBytes < 4096) {
      throw new IllegalArgumentException(
          "max-group-bytes must be at least 4096, was " + maxGroupBytes);
    }
    if (name == null || name.isEmpty()) {
      name = "journal";
    }
  }

  /** Defaults for {@code dir}: fsync on, 64 MiB segments, 4 MiB groups. */
  public static JournalSettings defaults(Path dir) {
    return new JournalSettings(dir, true, 64L << 20, 4 << 20, "journal");
  }

  /**
   * Reads the plugin's config block (see reference.conf under {@code cairn.persistence.journal}).
   */
  public static JournalSettings fromConfig(Config config, String name) {
    return new JournalSettings(
        Path.of(config.getString("dir")),
        config.getBoolean("fsync"),
        config.getBytes("segment-size"),
        Math.toIntExact(config.getBytes("max-group-bytes")),
        name);
  }

  public JournalSettings withFsync(boolean on) {
    return new JournalSettings(dir, on, segmentSize, maxGroupBytes, name);
  }

  public JournalSettings withSegmentSize(long bytes) {
    return new JournalSettings(dir, fsync, bytes, maxGroupBytes, name);
  }

  public JournalSettings withName(String metricsName) {
    return new JournalSettings(dir, fsync, segmentSize, maxGroupBytes, metricsName);
  }
}
