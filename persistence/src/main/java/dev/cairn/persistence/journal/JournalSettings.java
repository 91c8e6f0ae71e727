package dev.cairn.persistence.journal;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of one {@link ForcedLog}.
 *
 * @param dir directory holding the segments and the LOCK file
 * @param fsync force every group to stable storage before acknowledging it; off is for tests only
 * @param segmentSize roll to a new segment once the current one would grow past this many bytes
 * @param maxGroupBytes upper bound on the bytes one group commit gathers before it forces
 * @param name tag value that tells this journal's metrics apart (the plugin id)
 * @param resumeFreeSpace after running out of space, writes resume once at least this many bytes
 *     are free on the journal's filesystem
 * @param retryInterval while writes fail, how often the log checks whether it can write again
 */
public record JournalSettings(
    Path dir,
    boolean fsync,
    long segmentSize,
    int maxGroupBytes,
    String name,
    long resumeFreeSpace,
    Duration retryInterval) {

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
    if (resumeFreeSpace < 0) {
      throw new IllegalArgumentException(
          "resume-free-space must not be negative, was " + resumeFreeSpace);
    }
    if (retryInterval == null || retryInterval.isNegative() || retryInterval.isZero()) {
      throw new IllegalArgumentException("retry-interval must be positive, was " + retryInterval);
    }
  }

  /** Defaults for {@code dir}: fsync on, 64 MiB segments, 4 MiB groups, resume at 16 MiB free. */
  public static JournalSettings defaults(Path dir) {
    return new JournalSettings(
        dir, true, 64L << 20, 4 << 20, "journal", 16L << 20, Duration.ofSeconds(1));
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
        name,
        config.getBytes("resume-free-space"),
        config.getDuration("retry-interval"));
  }

  public JournalSettings withFsync(boolean on) {
    return new JournalSettings(
        dir, on, segmentSize, maxGroupBytes, name, resumeFreeSpace, retryInterval);
  }

  public JournalSettings withSegmentSize(long bytes) {
    return new JournalSettings(
        dir, fsync, bytes, maxGroupBytes, name, resumeFreeSpace, retryInterval);
  }

  public JournalSettings withName(String metricsName) {
    return new JournalSettings(
        dir, fsync, segmentSize, maxGroupBytes, metricsName, resumeFreeSpace, retryInterval);
  }

  public JournalSettings withResumeFreeSpace(long bytes, Duration retry) {
    return new JournalSettings(dir, fsync, segmentSize, maxGroupBytes, name, bytes, retry);
  }
}
