package dev.cairn.bench.load;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Completion;

/** The operation every client repeats. */
public enum Op {
  /** Overwrite an existing key with the workload's value. */
  PUT,
  /** Linearizable read of an existing key. */
  GET,
  /**
   * A request that does no keyspace work (Cairn's and etcd's {@code GET /health}): the HTTP floor.
   */
  PING,
  /** Create-or-overwrite, used to preload the key space; not a measured workload. */
  LOAD;

  void issue(ClientChannel channel, int key, Completion done) {
    switch (this) {
      case PUT -> channel.put(key, done);
      case GET -> channel.get(key, done);
      case PING -> channel.ping(done);
      case LOAD -> channel.load(key, done);
    }
  }

  /** Lower-case name as printed in results. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
