package dev.cairn.http.watch;

import java.util.ArrayDeque;

/**
 * One watch of a connection: what the client asked for and what it holds back for the socket; its
 * subscription (where it is registered, how far it got) is the {@link Subscription} it extends.
 * Mutable, confined to its connection's actor.
 *
 * @param <T> the connection's wire message type
 */
final class Watch<T> extends Subscription {
  /** The client's watch_id. */
  final long id;

  final boolean prevKv;
  final boolean noPut;
  final boolean noDelete;

  /** Messages held back while the socket is full, each with the revision it completes (or 0). */
  final ArrayDeque<Held<T>> pending = new ArrayDeque<>();

  long pendingBytes;

  /**
   * Every change of the watch up to this revision has been handed to the socket; a cancel reports
   * it as last_revision, the point to resume after. Held-back messages do not count: a cancel
   * discards them.
   */
  long lastRevision;

  /** Coalesced connections: entries of the connection's FIFO that complete this watch. */
  int held;

  /** Coalesced connections: the highest revision among those entries. */
  long heldRevision;

  /** A held-back message (null: nothing to send, only the revision to complete). */
  record Held<T>(T message, long revision) {}

  /** A watch as {@code asked}, under the client's watch_id {@code id}. */
  Watch(long id, long subscription, ClientMessage.Create asked) {
    super(subscription, asked.key(), asked.rangeEnd(), asked.startRevision());
    this.id = id;
    this.prevKv = asked.prevKv();
    this.noPut = asked.noPut();
    this.noDelete = asked.noDelete();
    this.lastRevision = Math.max(0, startRevision - 1);
  }
}
