package dev.cairn.http.lock;

import dev.cairn.recipes.lock.Lock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lock grants this node made and has not yet seen released, so that their release is one
 * transaction with no read of the queue before it ({@link Lock#release(Lock.Grant)}). Bounded: past
 * {@code limit} it starts again empty, and the release of a forgotten grant reads the queue first,
 * as a release on another node does. Thread-safe.
 */
final class RecentGrants {
  private record Ref(String namespace, String name, long token) {}

  private final int limit;
  private final Map<Ref, Lock.Grant> grants = new ConcurrentHashMap<>();

  RecentGrants(int limit) {
    this.limit = limit;
  }

  /** Remembers {@code grant}, made in {@code namespace}. */
  void remember(String namespace, Lock.Grant grant) {
    if (grants.size() >= limit) {
      grants.clear();
    }
    grants.put(new Ref(namespace, grant.name(), grant.fencingToken()), grant);
  }

  /** The grant of lock {@code name} at {@code token}, forgotten from now on; null if unknown. */
  Lock.Grant take(String namespace, String name, long token) {
    return grants.remove(new Ref(namespace, name, token));
  }
}
