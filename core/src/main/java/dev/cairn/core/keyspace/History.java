package dev.cairn.core.keyspace;

import dev.cairn.core.KeyValue;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * One key's retained versions, oldest first: written by one thread, read by any.
 *
 * <p>The owner appends and compacts; readers on other threads see a consistent prefix. Each change
 * publishes a new {@link Slice} (array and length) through a volatile field: an append writes the
 * element past every published length, then publishes the longer slice, so a reader holding an
 * older slice never reads the slot being written; compaction copies into a fresh array.
 */
final class History {
  private static final KeyValue[] EMPTY = new KeyValue[0];

  private record Slice(KeyValue[] versions, int size) {}

  private volatile Slice slice = new Slice(EMPTY, 0);

  History() {}

  History(List<KeyValue> versions) {
    KeyValue[] a = versions.toArray(new KeyValue[Math.max(2, versions.size())]);
    slice = new Slice(a, versions.size());
  }

  /** The newest version (possibly a tombstone), or null when there is none. */
  KeyValue last() {
    Slice s = slice;
    return s.size == 0 ? null : s.versions[s.size - 1];
  }

  /** The newest version with mod revision {@code <= atRevision} (possibly a tombstone), or null. */
  KeyValue at(long atRevision) {
    Slice s = slice;
    KeyValue[] v = s.versions;
    // Reads are mostly of the newest version: check it before searching.
    int last = s.size - 1;
    if (last < 0) {
      return null;
    }
    if (v[last].modRevision() <= atRevision) {
      return v[last];
    }
    int lo = 0;
    int hi = last - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (v[mid].modRevision() <= atRevision) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : v[found];
  }

  /** The versions as an immutable list view of the current slice. */
  List<KeyValue> versions() {
    Slice s = slice;
    return new View(s.versions, s.size);
  }

  int size() {
    return slice.size;
  }

  // ---- owner only ----

  void append(KeyValue kv) {
    Slice s = slice;
    KeyValue[] v = s.versions;
    if (s.size == v.length) {
      v = Arrays.copyOf(v, Math.max(2, v.length * 2));
    }
    v[s.size] = kv;
    slice = new Slice(v, s.size + 1);
  }

  /** Drops the {@code n} oldest versions. */
  void dropOldest(int n) {
    Slice s = slice;
    int size = s.size - n;
    KeyValue[] v = Arrays.copyOfRange(s.versions, n, n + Math.max(2, size));
    slice = new Slice(v, size);
  }

  private static final class View extends AbstractList<KeyValue> implements RandomAccess {
    private final KeyValue[] versions;
    private final int size;

    View(KeyValue[] versions, int size) {
      this.versions = versions;
      this.size = size;
    }

    @Override
    public KeyValue get(int i) {
      if (i < 0 || i >= size) {
        throw new IndexOutOfBoundsException(i);
      }
      return versions[i];
    }

    @Override
    public int size() {
      return size;
    }
  }
}
