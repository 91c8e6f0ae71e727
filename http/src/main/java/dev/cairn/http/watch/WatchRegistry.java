package dev.cairn.http.watch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorRef;

/**
 * A connection's watches: by the client's watch_id and by the subscription id the hub knows them
 * by, with the ids the connection hands out. Confined to the connection's actor.
 *
 * <p>Where a watch is served from is recorded here too (its hub, and since when a subscription is
 * waiting for an answer): a watch registered with a hub takes that hub's deliveries and progress
 * only, and the watches of a hub that stops are found here to subscribe again.
 */
final class WatchRegistry<T> implements Subscriber.Index<Watch<T>> {
  /** The active watches by the client's watch_id, in creation order. */
  private final Map<Long, Watch<T>> watches = new LinkedHashMap<>();

  /** The same watches by {@link Watch#subscription}. */
  private final Map<Long, Watch<T>> bySubscription = new HashMap<>();

  private long nextSubscription = 1;
  private long nextWatchId;

  /**
   * Adds a watch as {@code asked}; watch_id -1 picks the lowest free id from the last one picked.
   */
  Watch<T> add(ClientMessage.Create asked) {
    long watchId = asked.watchId() < 0 ? nextFreeId() : asked.watchId();
    Watch<T> w = new Watch<>(watchId, nextSubscription++, asked);
    watches.put(watchId, w);
    bySubscription.put(w.subscription, w);
    nextWatchId = Math.max(nextWatchId, watchId + 1);
    return w;
  }

  private long nextFreeId() {
    while (watches.containsKey(nextWatchId)) {
      nextWatchId++;
    }
    return nextWatchId;
  }

  /** Gives {@code w} a new subscription id; the old one is no longer known. */
  @Override
  public void renew(Watch<T> w) {
    bySubscription.remove(w.subscription);
    w.subscription = nextSubscription++;
    bySubscription.put(w.subscription, w);
  }

  /** Removes the watch with the client's {@code id}; null when there is none. */
  Watch<T> remove(long id) {
    Watch<T> w = watches.remove(id);
    if (w != null) {
      bySubscription.remove(w.subscription);
    }
    return w;
  }

  Watch<T> get(long id) {
    return watches.get(id);
  }

  /** The watch a hub or leader message names by {@code subscription}; null when dropped. */
  @Override
  public Watch<T> bySubscription(long subscription) {
    return bySubscription.get(subscription);
  }

  boolean contains(long id) {
    return watches.containsKey(id);
  }

  boolean isEmpty() {
    return watches.isEmpty();
  }

  int size() {
    return watches.size();
  }

  /** The watches, in creation order (a live view: copy before changing the registry). */
  Collection<Watch<T>> all() {
    return watches.values();
  }

  /** The client's ids of every watch. */
  List<Long> ids() {
    return new ArrayList<>(watches.keySet());
  }

  /** The active watches registered with {@code hub}. */
  @Override
  public List<Watch<T>> registeredWith(ActorRef hub) {
    List<Watch<T>> out = new ArrayList<>();
    for (Watch<T> w : watches.values()) {
      if (w.active && hub.equals(w.hub)) {
        out.add(w);
      }
    }
    return out;
  }

  /** The active watches whose subscription is still waiting for an answer. */
  @Override
  public List<Watch<T>> waiting() {
    List<Watch<T>> out = new ArrayList<>();
    for (Watch<T> w : watches.values()) {
      if (w.active && w.hub == null) {
        out.add(w);
      }
    }
    return out;
  }
}
