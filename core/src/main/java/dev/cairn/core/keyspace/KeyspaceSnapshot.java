package dev.cairn.core.keyspace;

import dev.cairn.core.KeyValue;
import java.util.List;

/**
 * An immutable copy of a {@link KeyspaceState}, for snapshots. Lease-to-key bindings are not
 * stored: they follow from each key's current version.
 *
 * @param format the layout version of this record; bumped on incompatible change
 */
public record KeyspaceSnapshot(
    int format,
    long revision,
    long compactRevision,
    boolean active,
    long nextLeaseId,
    List<KeyHistory> keys,
    List<LeaseEntry> leases) {
  public static final int FORMAT = 1;

  public KeyspaceSnapshot {
    keys = List.copyOf(keys);
    leases = List.copyOf(leases);
  }

  /** A key's retained versions, oldest first; a version 0 entry is a deletion. */
  public record KeyHistory(String key, List<KeyValue> versions) {
    public KeyHistory {
      versions = List.copyOf(versions);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("a key history needs at least one version");
      }
    }
  }

  public record LeaseEntry(long id, long ttlSeconds) {}
}
