package dev.cairn.client;

/**
 * A running watch. It survives dropped connections and node failures: the client resumes it from
 * the revision after the last one delivered. It ends when cancelled, or with an error on its
 * listener (its resume point was compacted, its namespace was deleted).
 */
public interface Watch extends dev.cairn.recipes.CairnClient.Watch {
  /** Stops delivery; idempotent. */
  @Override
  void cancel();

  /** The revision the watch would resume from now: the last delivered (or notified) one + 1. */
  long nextRevision();
}
