package dev.cairn.http.watch;

import java.util.ArrayDeque;
import org.apache.pekko.actor.ActorRef;

/**
 * One watch of a connection: what the client asked for, where it is registered, and how far it got.
 * Mutable, confined to its connection's actor.
 *
 * @param <T> the connection's wire message type
 */
final class Watch<T> {
  /** The client's watch_id. */
  final long id;

  /**
   * The hub's name for this watch: unique over the connection's life, so that a delivery, a refusal
   * or a compaction notice still on its way for a cancelled watch never reaches a later watch that
   * reuses its watch_id. A watch that subscribes again (its hub stopped) gets a new one, so nothing
   * its old subscription still had on the way can reach it twice.
   */
  long subscription;

  final String key;
  final String rangeEnd;
  final boolean prevKv;
  final boolean noPut;
  final boolean noDelete;

  /** Events before this revision are not the watch's (a start revision in the future). */
  final long startRevision;

  /** A hub registered the watch and {@code created} was sent (or held back). */
  boolean registered;

  /**
   * The hub the watch is registered with now; null while its subscription is on its way (first, or
   * again after that hub stopped with its leader). Only this hub's messages count for it.
   */
  ActorRef hub;

  /** When the current subscription was sent (System.nanoTime). */
  long subscribedAt;

  /**
   * Every change of the watch up to this revision has been handed to it by a hub (sent to the
   * socket or held back): a new subscription resumes right after it.
   */
  long received;

  /** Messages held back while the socket is full, each with the revision it completes (or 0). */
  final ArrayDeque<Held<T>> pending = new ArrayDeque<>();

  long pendingBytes;

  /**
   * Every change of the watch up to this revision has been handed to the socket; a cancel reports
   * it as last_revision, the point to resume after. Held-back messages do not count: a cancel
   * discards them.
   */
  long lastRevision;

  boolean active = true;

  /** Coalesced connections: entries of the connection's FIFO that complete this watch. */
  int held;

  /** Coalesced connections: the highest revision among those entries. */
  long heldRevision;

  /** A held-back message (null: nothing to send, only the revision to complete). */
  record Held<T>(T message, long revision) {}

  /** A watch as {@code asked}, under the client's watch_id {@code id}. */
  Watch(long id, long subscription, ClientMessage.Create asked) {
    this.id = id;
    this.subscription = subscription;
    this.key = asked.key();
    this.rangeEnd = asked.rangeEnd();
    this.startRevision = asked.startRevision();
    this.prevKv = asked.prevKv();
    this.noPut = asked.noPut();
    this.noDelete = asked.noDelete();
    this.lastRevision = Math.max(0, startRevision - 1);
    this.received = lastRevision;
  }
}
