package dev.cairn.http.listener;

import java.lang.management.ManagementFactory;
import java.util.OptionalLong;

/**
 * The process's file-descriptor limit ({@code ulimit -n}), which bounds the connections a node can
 * hold: every connection is a descriptor, and so are the journal's segments, the snapshots and the
 * JVM's own files. A node that runs out cannot accept connections, and worse, cannot open the next
 * journal segment.
 */
public final class FileDescriptors {
  private FileDescriptors() {}

  /** The limit, or empty where the JVM cannot tell (not a Unix system). */
  public static OptionalLong limit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return OptionalLong.of(unix.getMaxFileDescriptorCount());
    }
    return OptionalLong.empty();
  }

  /**
   * The connections a listener may hold under {@code fdLimit}: {@code wanted} if they fit beside
   * {@code others} descriptors, else what is left (never below zero).
   */
  public static int connectionsWithin(long fdLimit, int wanted, long others) {
    return (int) Math.max(0, Math.min(wanted, fdLimit - others));
  }
}
