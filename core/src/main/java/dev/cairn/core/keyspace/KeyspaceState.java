package dev.cairn.core.keyspace;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * The state of one namespace's keyspace: every key's versions back to the compaction point (MVCC)
 * and the leases.
 *
 * <p>Mutable for speed, with one writer: it is owned by the namespace's leader and changed only
 * through {@link Keyspace#apply}. {@link #toSnapshot()} copies it into an immutable value for
 * persistence.
 *
 * <p><b>Published reads.</b> The owner applies events before they are durable, so most of the state
 * is for the owner's thread only. Key-value reads are the exception: the owner {@link #publish
 * publishes} each revision once it is durable, and {@link Keyspace#readPublished} answers a range
 * read as of the published revision from any thread, concurrently with the owner. That is safe
 * because versions are only ever appended (a read at revision P ignores every newer one) and the
 * key maps and each key's {@link History} are safe for concurrent readers. The few changes that
 * rewrite the past (compaction, creating or deleting the namespace) first raise {@link
 * #destructiveRevision}; a published read that sees it above its revision, or a closed state, gives
 * up and the caller asks the owner instead.
 */
public final class KeyspaceState {
  private long revision;
  private long compactRevision;
  private volatile boolean active;
  private long nextLeaseId = 1;
  private long liveKeys;
  private long retainedVersions;

  /** Every key with retained versions, in key order (ranges); {@link #index} finds one faster. */
  private final ConcurrentSkipListMap<String, History> keys = new ConcurrentSkipListMap<>();

  private final ConcurrentHashMap<String, History> index = new ConcurrentHashMap<>();

  /** The newest durable revision, readable by other threads; -1 until the owner publishes. */
  private volatile long published = -1;

  /** The revision of the newest event that rewrote the past (see the class comment). */
  private volatile long destructiveRevision;

  private volatile boolean closed;
  private final TreeMap<Long, Lease> leases = new TreeMap<>();

  private KeyspaceState(boolean active) {
    this.active = active;
  }

  /** An empty state; {@code active} is true for a namespace that exists without being created. */
  public static KeyspaceState empty(boolean active) {
    return new KeyspaceState(active);
  }

  public long revision() {
    return revision;
  }

  /** Reads at revisions below this one are refused. 0 when nothing was compacted. */
  public long compactRevision() {
    return compactRevision;
  }

  public boolean active() {
    return active;
  }

  /** Number of keys that exist at the current revision. */
  public long liveKeys() {
    return liveKeys;
  }

  /** Versions retained across all keys (tombstones included): the size of a snapshot. */
  public long retainedVersions() {
    return retainedVersions;
  }

  public int leaseCount() {
    return leases.size();
  }

  public boolean hasLease(long id) {
    return leases.containsKey(id);
  }

  /** The granted TTL of a lease, or -1 when it does not exist. */
  public long leaseTtl(long id) {
    Lease l = leases.get(id);
    return l == null ? -1 : l.ttlSeconds;
  }

  /** Every lease id with its granted TTL, in id order. */
  public Map<Long, Long> leaseTtls() {
    TreeMap<Long, Long> out = new TreeMap<>();
    leases.forEach((id, l) -> out.put(id, l.ttlSeconds));
    return out;
  }

  /** The current version of {@code key}, or null when it does not exist. */
  public KeyValue get(String key) {
    return getAt(key, Long.MAX_VALUE);
  }

  /** The version of {@code key} visible at {@code atRevision}, or null. Safe from any thread. */
  KeyValue getAt(String key, long atRevision) {
    return visibleAt(index.get(key), atRevision);
  }

  /** The histories of the keys in {@code [key, rangeEnd)}. Safe from any thread. */
  NavigableMap<String, History> histories(String key, String rangeEnd) {
    if (rangeEnd == null) {
      History v = index.get(key);
      TreeMap<String, History> one = new TreeMap<>();
      if (v != null) {
        one.put(key, v);
      }
      return one;
    }
    if (rangeEnd.isEmpty()) {
      return keys.tailMap(key, true);
    }
    // A range that ends before it starts is empty (TreeMap.subMap would throw).
    return key.compareTo(rangeEnd) >= 0
        ? Collections.emptyNavigableMap()
        : keys.subMap(key, true, rangeEnd, false);
  }

  SortedSet<String> leaseKeys(long id) {
    Lease l = leases.get(id);
    return l == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(l.keys);
  }

  long nextLeaseId() {
    return nextLeaseId;
  }

  static KeyValue visibleAt(History versions, long atRevision) {
    if (versions == null) {
      return null;
    }
    KeyValue kv = versions.at(atRevision);
    return kv == null || isTombstone(kv) ? null : kv;
  }

  // ---- published reads (see the class comment) ----

  /** Makes every revision up to {@code durable} readable by {@link Keyspace#readPublished}. */
  public void publish(long durable) {
    if (durable > revision) {
      throw new IllegalArgumentException(
          "cannot publish revision " + durable + " beyond revision " + revision);
    }
    if (durable > published) {
      published = durable;
    }
  }

  /** The newest published (durable) revision, or -1 before the first {@link #publish}. */
  public long published() {
    return published;
  }

  /** Ends published reads: the owner stopped, and this state may fall behind a successor's. */
  public void close() {
    closed = true;
  }

  /**
   * True when a published read at revision {@code at}, made before this call, saw only durable
   * history: no rewrite of the past above {@code at} began and the state is not closed.
   */
  boolean stillValidAt(long at) {
    return destructiveRevision <= at && !closed;
  }

  static boolean isTombstone(KeyValue kv) {
    return kv.version() == 0;
  }

  static KeyValue tombstone(String key, long revision) {
    return new KeyValue(key, Bytes.EMPTY, 0, revision, 0, 0);
  }

  // ---- mutation, only through Keyspace.apply ----

  void apply(Event event, Consumer<WatchEvent> changes) {
    if (event.revision() != revision + 1) {
      throw new IllegalStateException(
          "corrupt log: event revision " + event.revision() + " after revision " + revision);
    }
    long rev = event.revision();
    if (event instanceof Event.Compacted
        || event instanceof Event.NamespaceCreated
        || event instanceof Event.NamespaceDeleted) {
      // Raised before the change, so that a concurrent published read notices it.
      destructiveRevision = rev;
    }
    if (event instanceof Event.KeysChanged e) {
      checkMutations(e.mutations());
      for (Event.Mutation m : e.mutations()) {
        if (m instanceof Event.Mutation.Put p) {
          put(p, rev, changes);
        } else if (m instanceof Event.Mutation.Delete d) {
          delete(d.key(), rev, changes);
        } else {
          throw new IllegalStateException("unhandled " + m);
        }
      }
    } else if (event instanceof Event.LeaseGranted e) {
      if (leases.containsKey(e.id())) {
        throw new IllegalStateException("corrupt log: lease " + e.id() + " granted twice");
      }
      leases.put(e.id(), new Lease(e.ttlSeconds()));
      nextLeaseId = Math.max(nextLeaseId, e.id() + 1);
    } else if (event instanceof Event.LeaseRevoked e) {
      Lease lease = leases.get(e.id());
      if (lease == null) {
        throw new IllegalStateException("corrupt log: revoking unknown lease " + e.id());
      }
      for (String key : new ArrayList<>(lease.keys)) {
        delete(key, rev, changes);
      }
      leases.remove(e.id());
    } else if (event instanceof Event.Compacted e) {
      compact(e.compactRevision());
    } else if (event instanceof Event.NamespaceCreated) {
      active = true;
    } else if (event instanceof Event.NamespaceDeleted) {
      keys.clear();
      index.clear();
      retainedVersions = 0;
      leases.clear();
      liveKeys = 0;
      active = false;
      compactRevision = rev;
    } else {
      throw new IllegalStateException("unhandled " + event);
    }
    revision = rev;
  }

  /**
   * Refuses a corrupt {@link Event.KeysChanged} before any of it is applied, so a throwing apply
   * leaves the state as it was (a half-applied event would break later reads and snapshots).
   */
  private void checkMutations(List<Event.Mutation> mutations) {
    Map<String, Boolean> liveSoFar = mutations.size() > 1 ? new HashMap<>() : null;
    for (Event.Mutation m : mutations) {
      Boolean known = liveSoFar == null ? null : liveSoFar.get(m.key());
      boolean live = known != null ? known : get(m.key()) != null;
      if (m instanceof Event.Mutation.Put p) {
        if (p.lease() != 0 && !leases.containsKey(p.lease())) {
          throw new IllegalStateException("corrupt log: put of " + p.key() + " on unknown lease");
        }
        live = true;
      } else if (m instanceof Event.Mutation.Delete d) {
        if (!live) {
          throw new IllegalStateException("corrupt log: delete of missing key " + d.key());
        }
        live = false;
      } else {
        throw new IllegalStateException("unhandled " + m);
      }
      if (liveSoFar != null) {
        liveSoFar.put(m.key(), live);
      }
    }
  }

  private void put(Event.Mutation.Put p, long rev, Consumer<WatchEvent> changes) {
    History versions = index.get(p.key());
    if (versions == null) {
      versions = new History();
      keys.put(p.key(), versions);
      index.put(p.key(), versions);
    }
    KeyValue prev = versions.last();
    if (prev != null && isTombstone(prev)) {
      prev = null;
    }
    if (p.lease() != 0) {
      Lease lease = leases.get(p.lease());
      if (lease == null) {
        throw new IllegalStateException("corrupt log: put of " + p.key() + " on unknown lease");
      }
      lease.keys.add(p.key());
    }
    if (prev != null && prev.lease() != 0 && prev.lease() != p.lease()) {
      leases.get(prev.lease()).keys.remove(p.key());
    }
    KeyValue kv =
        prev == null
            ? new KeyValue(p.key(), p.value(), rev, rev, 1, p.lease())
            : new KeyValue(
                p.key(), p.value(), prev.createRevision(), rev, prev.version() + 1, p.lease());
    versions.append(kv);
    retainedVersions++;
    if (prev == null) {
      liveKeys++;
    }
    changes.accept(new WatchEvent(WatchEvent.Type.PUT, kv, prev));
  }

  private void delete(String key, long rev, Consumer<WatchEvent> changes) {
    History versions = index.get(key);
    KeyValue prev = versions == null ? null : versions.last();
    if (prev == null || isTombstone(prev)) {
      throw new IllegalStateException("corrupt log: delete of missing key " + key);
    }
    if (prev.lease() != 0) {
      Lease lease = leases.get(prev.lease());
      if (lease != null) {
        lease.keys.remove(key);
      }
    }
    KeyValue tomb = tombstone(key, rev);
    versions.append(tomb);
    retainedVersions++;
    liveKeys--;
    changes.accept(new WatchEvent(WatchEvent.Type.DELETE, tomb, prev));
  }

  /** Keeps, per key, the version visible at {@code at} and everything after it. */
  private void compact(long at) {
    var it = keys.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, History> e = it.next();
      History h = e.getValue();
      List<KeyValue> versions = h.versions();
      int keepFrom = 0;
      for (int i = versions.size() - 1; i >= 0; i--) {
        if (versions.get(i).modRevision() <= at) {
          keepFrom = i;
          break;
        }
      }
      // A tombstone before the compaction point can never be read or watched again; one at it is
      // the deletion a watch from the compaction revision must still see.
      if (isTombstone(versions.get(keepFrom)) && versions.get(keepFrom).modRevision() < at) {
        keepFrom++;
      }
      if (keepFrom == versions.size()) {
        it.remove();
        index.remove(e.getKey());
      } else if (keepFrom > 0) {
        h.dropOldest(keepFrom);
      }
      retainedVersions -= keepFrom;
    }
    compactRevision = at;
  }

  // ---- snapshots ----

  /** An immutable copy of this state. */
  public KeyspaceSnapshot toSnapshot() {
    List<KeyspaceSnapshot.KeyHistory> hs = new ArrayList<>(keys.size());
    keys.forEach((k, v) -> hs.add(new KeyspaceSnapshot.KeyHistory(k, v.versions())));
    List<KeyspaceSnapshot.LeaseEntry> ls = new ArrayList<>(leases.size());
    leases.forEach((id, l) -> ls.add(new KeyspaceSnapshot.LeaseEntry(id, l.ttlSeconds)));
    return new KeyspaceSnapshot(
        KeyspaceSnapshot.FORMAT, revision, compactRevision, active, nextLeaseId, hs, ls);
  }

  /** The state a snapshot was taken of. */
  public static KeyspaceState fromSnapshot(KeyspaceSnapshot s) {
    if (s.format() != KeyspaceSnapshot.FORMAT) {
      throw new IllegalArgumentException("unknown keyspace snapshot format " + s.format());
    }
    KeyspaceState st = new KeyspaceState(s.active());
    st.revision = s.revision();
    st.compactRevision = s.compactRevision();
    st.nextLeaseId = s.nextLeaseId();
    for (KeyspaceSnapshot.LeaseEntry l : s.leases()) {
      st.leases.put(l.id(), new Lease(l.ttlSeconds()));
    }
    for (KeyspaceSnapshot.KeyHistory h : s.keys()) {
      History versions = new History(h.versions());
      st.keys.put(h.key(), versions);
      st.index.put(h.key(), versions);
      st.retainedVersions += versions.size();
      KeyValue last = versions.last();
      if (!isTombstone(last)) {
        st.liveKeys++;
        if (last.lease() != 0) {
          st.leases.get(last.lease()).keys.add(last.key());
        }
      }
    }
    return st;
  }

  /**
   * A hash of everything observable: revision, compact revision, every retained version, every
   * lease and the next automatic lease id (it decides what a grant with id 0 gets). Equal states
   * have equal digests; replicas and tests compare them cheaply.
   */
  public long digest() {
    long h = mix(0x9E3779B97F4A7C15L, revision);
    h = mix(h, compactRevision);
    h = mix(h, active ? 1 : 0);
    h = mix(h, nextLeaseId);
    for (Map.Entry<String, History> e : keys.entrySet()) {
      h = mix(h, e.getKey().hashCode());
      for (KeyValue kv : e.getValue().versions()) {
        h = mix(h, kv.value().hashCode());
        h = mix(h, kv.createRevision());
        h = mix(h, kv.modRevision());
        h = mix(h, kv.version());
        h = mix(h, kv.lease());
      }
    }
    for (Map.Entry<Long, Lease> e : leases.entrySet()) {
      h = mix(h, e.getKey());
      h = mix(h, e.getValue().ttlSeconds);
      h = mix(h, e.getValue().keys.hashCode());
    }
    return h;
  }

  private static long mix(long h, long v) {
    long x = h ^ (v * 0xBF58476D1CE4E5B9L);
    x = (x ^ (x >>> 31)) * 0x94D049BB133111EBL;
    return x ^ (x >>> 29);
  }

  private static final class Lease {
    final long ttlSeconds;
    final TreeSet<String> keys = new TreeSet<>();

    Lease(long ttlSeconds) {
      this.ttlSeconds = ttlSeconds;
    }
  }
}
