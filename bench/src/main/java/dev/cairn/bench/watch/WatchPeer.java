package dev.cairn.bench.watch;

import java.util.List;
import java.util.Map;

/**
 * A system {@link WatchFanout} measures: how it prepares the key space, opens the watches and
 * writes. The writer's pacing, the drain and the accounting are the same for every system.
 */
interface WatchPeer {

  /** Called exactly once per put, from any thread. */
  interface PutDone {
    /** Acknowledged at {@code revision} (when {@code failure} is null), or failed. */
    void done(long revision, String failure);
  }

  /** The value of the JSON {@code target} field. */
  String name();

  /**
   * Prepares a run under {@code watched} for {@code totalPuts} puts and returns R0: every put
   * acknowledged later has a revision above it, and watches see every change after it.
   */
  long prepare(String runId, String watched, int totalPuts) throws Exception;

  /**
   * Opens the watches and waits until the server has confirmed all of them; null (after logging
   * why) when that failed.
   */
  List<? extends WatchTally> open(String watched, long r0, long warmupPuts) throws Exception;

  /**
   * Writes put {@code i} with {@code value} (scheduled at {@code intended}, System.nanoTime) to its
   * key under the watched prefix.
   */
  void put(int i, long intended, String value, PutDone done);

  /** Connections (or sessions) the watches use, for the JSON {@code connections} field. */
  int connections();

  /** Adds the system's own fields to the JSON result. */
  default void describe(Map<String, Object> json) {}

  /** Closes the watches; may be called more than once. */
  void close();

  /** Drops the watches without ceremony after a failed setup. */
  default void abort() {
    close();
  }
}
