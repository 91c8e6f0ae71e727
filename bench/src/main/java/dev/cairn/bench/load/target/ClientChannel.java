package dev.cairn.bench.load.target;

/**
 * One logical client's path to the target: a keep-alive HTTP connection, or a share of a ZooKeeper
 * session. Callers keep at most one operation outstanding per channel.
 */
public interface ClientChannel extends AutoCloseable {

  /** Writes the workload's value under key {@code key}; the key already exists. */
  void put(int key, Completion done);

  /** Reads key {@code key} with linearizable consistency. */
  void get(int key, Completion done);

  /** A request that touches no data, to measure the protocol's own cost. */
  default void ping(Completion done) {
    throw new UnsupportedOperationException("this target has no ping operation");
  }

  /** Creates or overwrites key {@code key} with the workload's value (preloading). */
  default void load(int key, Completion done) {
    put(key, done);
  }

  /**
   * Gives up on the outstanding operation (it timed out): its completion may still arrive and is
   * ignored by the caller. HTTP channels drop the connection so that a late answer cannot be taken
   * for the next request's.
   */
  void abort();

  @Override
  void close();
}
