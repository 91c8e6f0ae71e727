package dev.cairn.actors.watch;

import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.persistence.codec.CairnSerializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;

/**
 * Delivers one namespace's committed changes to its subscribers, off the leader's thread.
 *
 * <p>Every message comes from the namespace leader, in commit order: a {@link Register} carries the
 * subscription's past changes up to revision R, and every later {@link Committed} carries revision
 * &gt; R. Because the hub forwards in the order it receives, a subscriber sees history then live
 * changes with no gap and no duplicate.
 *
 * <p>Each subscriber (a client connection) gets one {@link Deliveries} per committed revision,
 * holding the matching changes of all its watches, so the fan-out cost is one message per
 * connection, not per watch. Watches of the same range are kept together: a revision's changes are
 * matched once per distinct range, and one {@link Delivery} names every watch of a subscriber on
 * that range.
 *
 * <p><b>Lifetime.</b> A hub is its leader's child and lives only as long as that leader's
 * incarnation: when the leader stops (a failure, a rejected write, passivation, a rebalance), its
 * hub stops and every registration is gone; the successor starts with an empty hub. A subscriber
 * therefore watches the hub that registered its watch (the sender of the registration), takes a
 * {@link Progress} as progress only for watches registered with its sender, and subscribes its
 * watches again, from the revision after the last one it was handed, when that hub terminates.
 */
public final class WatchHub extends AbstractActor {

  /** What a hub understands: everything but {@link Unregister} comes from its leader. */
  public sealed interface Command extends CairnSerializable
      permits Register, Unregister, Committed, ProgressMark, EndAll {}

  /** What a hub sends its subscribers. */
  public sealed interface Notification extends CairnSerializable
      permits Deliveries, Progress, Ended {}

  /** Starts a watch: sends {@code past} (changes up to {@code revision}), then live changes. */
  public record Register(
      ActorRef subscriber,
      long watchId,
      String key,
      String rangeEnd,
      long revision,
      List<WatchEvent> past)
      implements Command {}

  /** Stops one watch of a subscriber, or all of them when {@code watchId} is -1. */
  public record Unregister(ActorRef subscriber, long watchId) implements Command {}

  /** A committed revision's changes (possibly none, e.g. a lease grant). */
  public record Committed(long revision, List<WatchEvent> changes) implements Command {}

  /** Tells a subscriber that all changes up to {@code revision} were delivered. */
  public record ProgressMark(ActorRef subscriber, long revision) implements Command {}

  /** Ends every watch (the namespace was deleted). */
  public record EndAll(String reason) implements Command {}

  /** To a subscriber: changes for some of its watches, up to and including {@code revision}. */
  public record Deliveries(long revision, List<Delivery> deliveries) implements Notification {}

  /**
   * The changes for some watches (of one range; never modify the array); {@code history} marks
   * catch-up from the past, which is always for one watch.
   */
  public record Delivery(long[] watchIds, List<WatchEvent> events, boolean history) {
    public static Delivery of(long watchId, List<WatchEvent> events, boolean history) {
      return new Delivery(new long[] {watchId}, events, history);
    }

    // The ids compare by content: a record compares an array by reference.
    @Override
    public boolean equals(Object o) {
      return o instanceof Delivery d
          && history == d.history
          && Arrays.equals(watchIds, d.watchIds)
          && events.equals(d.events);
    }

    @Override
    public int hashCode() {
      return (Arrays.hashCode(watchIds) * 31 + events.hashCode()) * 31 + Boolean.hashCode(history);
    }

    @Override
    public String toString() {
      return "Delivery[watchIds="
          + Arrays.toString(watchIds)
          + ", events="
          + events
          + ", history="
          + history
          + "]";
    }
  }

  /**
   * To a subscriber: every change up to {@code revision} has been delivered by this hub (the
   * sender), i.e. to the watches registered with it; says nothing of watches registered elsewhere.
   */
  public record Progress(long revision) implements Notification {}

  /** To a subscriber: its watches on this namespace ended. */
  public record Ended(String reason) implements Notification {}

  private record Range(String key, String rangeEnd) {
    boolean matches(String k) {
      return KeyRange.contains(key, rangeEnd, k);
    }
  }

  /**
   * Per subscriber, its watch ids by range. An id array is replaced, never changed, so one can
   * travel in a message while the subscriber's watches change.
   */
  private final Map<ActorRef, Map<Range, long[]>> subscribers = new HashMap<>();

  private final WatchHubs count = WatchHubs.get(getContext().getSystem());

  public static Props props() {
    return Props.create(WatchHub.class, WatchHub::new);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Register.class, this::register)
        .match(Unregister.class, this::unregister)
        .match(Committed.class, this::committed)
        .match(ProgressMark.class, p -> p.subscriber().tell(new Progress(p.revision()), getSelf()))
        .match(
            EndAll.class,
            e -> {
              subscribers.keySet().forEach(s -> s.tell(new Ended(e.reason()), getSelf()));
              subscribers.keySet().forEach(s -> getContext().unwatch(s));
              subscribers.values().forEach(this::forget);
              subscribers.clear();
            })
        .match(Terminated.class, t -> forget(subscribers.remove(t.getActor())))
        .build();
  }

  @Override
  public void postStop() {
    // The leader stopped: its subscribers re-subscribe with its successor's hub.
    subscribers.values().forEach(this::forget);
    subscribers.clear();
  }

  /** Takes a subscriber's watches (null: none) out of the node's count. */
  private void forget(Map<Range, long[]> ranges) {
    if (ranges != null) {
      count.add(-ranges.values().stream().mapToLong(ids -> ids.length).sum());
    }
  }

  private void register(Register r) {
    r.subscriber()
        .tell(
            new Deliveries(r.revision(), List.of(Delivery.of(r.watchId(), r.past(), true))),
            getSelf());
    Map<Range, long[]> ranges =
        subscribers.computeIfAbsent(
            r.subscriber(),
            s -> {
              getContext().watch(s);
              return new LinkedHashMap<>(2);
            });
    ranges.merge(
        new Range(r.key(), r.rangeEnd()),
        new long[] {r.watchId()},
        (ids, one) -> {
          long[] more = Arrays.copyOf(ids, ids.length + 1);
          more[ids.length] = one[0];
          return more;
        });
    count.add(1);
  }

  private void unregister(Unregister u) {
    Map<Range, long[]> ranges = subscribers.get(u.subscriber());
    if (ranges == null) {
      return;
    }
    if (u.watchId() >= 0) {
      for (Iterator<Map.Entry<Range, long[]>> it = ranges.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Range, long[]> e = it.next();
        long[] ids = e.getValue();
        long[] rest = Arrays.stream(ids).filter(id -> id != u.watchId()).toArray();
        count.add(rest.length - ids.length);
        if (rest.length == 0) {
          it.remove();
        } else if (rest.length != ids.length) {
          e.setValue(rest);
        }
      }
    }
    if (u.watchId() < 0 || ranges.isEmpty()) {
      forget(subscribers.remove(u.subscriber()));
      getContext().unwatch(u.subscriber());
    }
  }

  private void committed(Committed c) {
    if (c.changes().isEmpty() || subscribers.isEmpty()) {
      return; // most writes: nobody watches this namespace
    }
    // Matched once per distinct range, however many watches (and subscribers) share it.
    Map<Range, List<WatchEvent>> matched = new HashMap<>();
    for (Map.Entry<ActorRef, Map<Range, long[]>> e : subscribers.entrySet()) {
      List<Delivery> out = null;
      for (Map.Entry<Range, long[]> r : e.getValue().entrySet()) {
        List<WatchEvent> matching =
            matched.computeIfAbsent(r.getKey(), range -> matching(range, c.changes()));
        if (!matching.isEmpty()) {
          if (out == null) {
            out = new ArrayList<>(e.getValue().size());
          }
          out.add(new Delivery(r.getValue(), matching, false));
        }
      }
      if (out != null) {
        e.getKey().tell(new Deliveries(c.revision(), out), getSelf());
      }
    }
  }

  /** The changes {@code w} sees; the same list instance when it sees them all (shared encoding). */
  private static List<WatchEvent> matching(Range w, List<WatchEvent> changes) {
    int n = 0;
    for (WatchEvent ev : changes) {
      if (w.matches(ev.kv().key())) {
        n++;
      }
    }
    if (n == changes.size()) {
      return changes;
    }
    List<WatchEvent> out = new ArrayList<>(n);
    for (Iterator<WatchEvent> it = changes.iterator(); it.hasNext() && out.size() < n; ) {
      WatchEvent ev = it.next();
      if (w.matches(ev.kv().key())) {
        out.add(ev);
      }
    }
    return out;
  }
}
