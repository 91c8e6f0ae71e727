package dev.cairn.client;

import dev.cairn.core.keyspace.WatchEvent;

/**
 * Receives a watch's events, one at a time, in revision order (the changes of one revision in the
 * order the revision made them), each exactly once, across reconnects. Called on the client's
 * executor: do not block in it (hand long work to a thread of your own).
 */
@FunctionalInterface
public interface WatchListener {
  /** One change. */
  void onEvent(WatchEvent event);

  /**
   * The watch ended and delivers nothing more: {@link CompactedException} when its resume point is
   * older than the compaction point, a {@link ProblemException} for another reason the server gave.
   */
  default void onError(CairnClientException error) {}
}
