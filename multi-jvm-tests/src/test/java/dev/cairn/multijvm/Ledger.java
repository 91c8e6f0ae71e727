package dev.cairn.multijvm;

import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a test sent to a server and what the server answered, across restarts. Every key is written
 * exactly once, so a key names one write and its value; every write of a fresh key takes its own
 * revision.
 *
 * <ul>
 *   <li>{@link #sent}: every write sent (acknowledged or not);
 *   <li>{@link #acked}: writes answered 200, with the revision the reply carried: these must
 *       survive anything;
 *   <li>{@link #recovered}: writes sent but not acknowledged (in flight at a crash) that a restart
 *       found present: from then on they are as durable as acknowledged ones;
 *   <li>{@link #lost}: writes not acknowledged that a restart found absent: they must never appear
 *       later.
 * </ul>
 */
final class Ledger {
  record Write(String key, String value, int writer, int cycle) {}

  final Map<String, Write> sent = new ConcurrentHashMap<>();
  final Map<String, Long> acked = new ConcurrentHashMap<>();
  final Map<String, Long> recovered = new ConcurrentHashMap<>();
  final Set<String> lost = ConcurrentHashMap.newKeySet();

  /** Revision → key, over acknowledged writes: a second key at one revision is a violation. */
  final Map<Long, String> ackedRevisions = new ConcurrentHashMap<>();

  /** Anything a server did that the test does not accept, found while writing. */
  final Queue<String> anomalies = new ConcurrentLinkedQueue<>();

  private final AtomicLong[] nextN;

  Ledger(int writers) {
    nextN = new AtomicLong[writers];
    for (int i = 0; i < writers; i++) {
      nextN[i] = new AtomicLong();
    }
  }

  /** The next unused sequence number of {@code writer}; keys stay unique across restarts. */
  long nextN(int writer) {
    return nextN[writer].incrementAndGet();
  }

  void recordAck(String key, long revision) {
    acked.put(key, revision);
    String other = ackedRevisions.putIfAbsent(revision, key);
    if (other != null) {
      anomalies.add(
          "revision " + revision + " acknowledged for two writes: " + other + " and " + key);
    }
  }

  /** Sent, not acknowledged, and not yet settled by a restart. */
  boolean unsettled(String key) {
    return !acked.containsKey(key) && !recovered.containsKey(key) && !lost.contains(key);
  }

  long maxAckedRevision() {
    return acked.values().stream().mapToLong(Long::longValue).max().orElse(0);
  }
}
