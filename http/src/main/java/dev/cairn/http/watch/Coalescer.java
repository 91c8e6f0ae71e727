package dev.cairn.http.watch;

import dev.cairn.core.keyspace.WatchEvent;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Gathers, within one delivery of a coalesced connection, the watches that get the same events, so
 * that they get one message naming them all. Events are the same when they are the same list
 * instance (the hub hands one list to every watch that sees all of a revision's changes, and a
 * connection's filters keep it unless they drop something) and the prev_kv flag is the same.
 */
final class Coalescer<T> {
  /** The watches of one revision that get the same events: one message for all of them. */
  static final class Group<T> {
    final List<WatchEvent> events;
    final boolean prevKv;
    final List<Watch<T>> members = new ArrayList<>(4);

    Group(List<WatchEvent> events, boolean prevKv) {
      this.events = events;
      this.prevKv = prevKv;
    }
  }

  /** Groups being gathered from one delivery, in order of their first member; empty in between. */
  private final List<Group<T>> groups = new ArrayList<>();

  private final Map<List<WatchEvent>, Group<T>> byEvents = new IdentityHashMap<>();
  private final Map<List<WatchEvent>, Group<T>> byEventsWithPrev = new IdentityHashMap<>();

  /** Adds {@code w}, which gets {@code events}, to the group with the same events. */
  void add(Watch<T> w, List<WatchEvent> events) {
    Map<List<WatchEvent>, Group<T>> index = w.prevKv ? byEventsWithPrev : byEvents;
    Group<T> g = index.get(events);
    if (g == null) {
      g = new Group<>(events, w.prevKv);
      index.put(events, g);
      groups.add(g);
    }
    g.members.add(w);
  }

  /**
   * Hands every group gathered since the last call to {@code send}, then starts the next gathering
   * ({@code send} must not add to this coalescer).
   */
  void drain(Consumer<Group<T>> send) {
    if (groups.isEmpty()) {
      return; // nothing gathered (e.g. a connection without coalesce): nothing to clear
    }
    for (Group<T> g : groups) {
      send.accept(g);
    }
    groups.clear();
    byEvents.clear();
    byEventsWithPrev.clear();
  }
}
