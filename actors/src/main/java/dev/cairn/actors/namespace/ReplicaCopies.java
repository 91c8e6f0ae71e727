package dev.cairn.actors.namespace;

import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a copy of a namespace's state into pieces small enough for one remoting message each, and
 * puts them together again (see {@link NamespaceLeader.ReplicaCopy}). A key's versions may be
 * spread over consecutive pieces; piece 0 carries the leases and the state's other fields.
 */
public final class ReplicaCopies {
  private ReplicaCopies() {}

  /** A rough size of one version: its key, value and a few numbers. */
  private static long size(KeyValue kv) {
    return kv.key().length() + kv.value().size() + 32L;
  }

  /** {@code s} in pieces of about {@code bytes} each (at least one piece; one version at least). */
  public static List<KeyspaceSnapshot> split(KeyspaceSnapshot s, int bytes) {
    List<KeyspaceSnapshot> pieces = new ArrayList<>();
    List<KeyspaceSnapshot.KeyHistory> keys = new ArrayList<>();
    long size = 0;
    for (KeyspaceSnapshot.KeyHistory h : s.keys()) {
      List<KeyValue> versions = new ArrayList<>();
      for (KeyValue kv : h.versions()) {
        if (size > 0 && size + size(kv) > bytes) {
          if (!versions.isEmpty()) {
            keys.add(new KeyspaceSnapshot.KeyHistory(h.key(), versions));
            versions = new ArrayList<>();
          }
          pieces.add(piece(s, keys, pieces.isEmpty()));
          keys = new ArrayList<>();
          size = 0;
        }
        versions.add(kv);
        size += size(kv);
      }
      if (!versions.isEmpty()) {
        keys.add(new KeyspaceSnapshot.KeyHistory(h.key(), versions));
      }
    }
    pieces.add(piece(s, keys, pieces.isEmpty()));
    return pieces;
  }

  private static KeyspaceSnapshot piece(
      KeyspaceSnapshot s, List<KeyspaceSnapshot.KeyHistory> keys, boolean first) {
    return new KeyspaceSnapshot(
        s.format(),
        s.revision(),
        s.compactRevision(),
        s.active(),
        s.nextLeaseId(),
        keys,
        first ? s.leases() : List.of());
  }

  /** The state {@code pieces} (in order, from {@link #split}) were cut from. */
  public static KeyspaceSnapshot join(List<KeyspaceSnapshot> pieces) {
    KeyspaceSnapshot first = pieces.get(0);
    List<KeyspaceSnapshot.KeyHistory> keys = new ArrayList<>();
    for (KeyspaceSnapshot p : pieces) {
      for (KeyspaceSnapshot.KeyHistory h : p.keys()) {
        int last = keys.size() - 1;
        if (last >= 0 && keys.get(last).key().equals(h.key())) {
          List<KeyValue> versions = new ArrayList<>(keys.get(last).versions());
          versions.addAll(h.versions());
          keys.set(last, new KeyspaceSnapshot.KeyHistory(h.key(), versions));
        } else {
          keys.add(h);
        }
      }
    }
    return new KeyspaceSnapshot(
        first.format(),
        first.revision(),
        first.compactRevision(),
        first.active(),
        first.nextLeaseId(),
        keys,
        first.leases());
  }
}
