package dev.cairn.http.watch;

import org.apache.pekko.actor.ActorRef;

/**
 * One watch's subscription to its namespace's watch hubs, as a {@link Subscriber} runs it: the
 * range it watches, the id the hub knows it by now, the hub that registered it and how far it got.
 * Mutable, confined to its owner's actor.
 */
public class Subscription {
  /**
   * The hub's name for this watch: unique over the owner's life, so that a delivery, a refusal or a
   * compaction notice still on its way for a dropped subscription never reaches a later one. A
   * watch that subscribes again (its hub stopped, or no answer came) gets a new one, so nothing its
   * old subscription still had on the way can reach it twice.
   */
  long subscription;

  final String key;

  /** Null for one key. */
  final String rangeEnd;

  /** Events before this revision are not the watch's (a start revision in the future). */
  final long startRevision;

  /** A hub registered the watch (its history arrived) at least once. */
  boolean registered;

  /**
   * The hub the watch is registered with now; null while its subscription is on its way (first, or
   * again after that hub stopped with its leader). Only this hub's messages count for it.
   */
  ActorRef hub;

  /** When the current subscription was sent (System.nanoTime). */
  long subscribedAt;

  /**
   * Every change of the watch up to this revision has been handed to it by a hub: a new
   * subscription resumes right after it.
   */
  long received;

  /** False once the watch is cancelled: nothing more is handed to it. */
  boolean active = true;

  /** A subscription of {@code key} (up to {@code rangeEnd}, null for one key) from a revision. */
  public Subscription(long subscription, String key, String rangeEnd, long startRevision) {
    this.subscription = subscription;
    this.key = key;
    this.rangeEnd = rangeEnd;
    this.startRevision = startRevision;
    this.received = Math.max(0, startRevision - 1);
  }

  /** The revision the watch's events start at. */
  public long startRevision() {
    return startRevision;
  }
}
