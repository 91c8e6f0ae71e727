package dev.cairn.actors.namespace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The leader's local lease deadlines on the monotonic clock. Not persisted: a keepalive changes no
 * state, and after recovery every lease gets a full TTL again (as etcd does on leader change).
 *
 * <p>Confined to the leader's thread. A keepalive pushes a new heap entry; stale entries are
 * skipped when they surface, so a keepalive costs O(log n) and no scan.
 */
final class LeaseDeadlines {
  private record Due(long atNanos, long id) {}

  private final Map<Long, Long> deadlines = new HashMap<>();
  private final PriorityQueue<Due> heap =
      new PriorityQueue<>((a, b) -> Long.compare(a.atNanos, b.atNanos));

  void set(long id, long atNanos) {
    deadlines.put(id, atNanos);
    heap.add(new Due(atNanos, id));
  }

  void remove(long id) {
    deadlines.remove(id);
  }

  /** The deadline of {@code id}, or {@code Long.MIN_VALUE} when it is not tracked. */
  long deadline(long id) {
    Long d = deadlines.get(id);
    return d == null ? Long.MIN_VALUE : d;
  }

  /**
   * True when an entry's deadline has passed (it may be stale: {@link #due} may then return none).
   * Cheap and allocation-free, for the write path.
   */
  boolean anyDue(long nowNanos) {
    return !heap.isEmpty() && heap.peek().atNanos - nowNanos <= 0;
  }

  /** Removes and returns the ids whose deadline has passed, oldest first. */
  List<Long> due(long nowNanos) {
    List<Long> out = new ArrayList<>();
    while (!heap.isEmpty() && heap.peek().atNanos - nowNanos <= 0) {
      Due d = heap.poll();
      Long current = deadlines.get(d.id);
      if (current != null && current == d.atNanos) {
        out.add(d.id);
        deadlines.remove(d.id);
      }
    }
    return out;
  }

  void clear() {
    deadlines.clear();
    heap.clear();
  }
}
