package dev.cairn.actors.watch;

import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.WatchEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
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
 * connection, not per watch.
 */
public final class WatchHub extends AbstractActor {

  /** Starts a watch: sends {@code past} (changes up to {@code revision}), then live changes. */
  public record Register(
      ActorRef subscriber,
      long watchId,
      String key,
      String rangeEnd,
      long revision,
      List<WatchEvent> past) {}

  /** Stops one watch of a subscriber, or all of them when {@code watchId} is -1. */
  public record Unregister(ActorRef subscriber, long watchId) {}

  /** A committed revision's changes (possibly none, e.g. a lease grant). */
  public record Committed(long revision, List<WatchEvent> changes) {}

  /** Tells a subscriber that all changes up to {@code revision} were delivered. */
  public record ProgressMark(ActorRef subscriber, long revision) {}

  /** Ends every watch (the namespace was deleted). */
  public record EndAll(String reason) {}

  /** To a subscriber: changes for some of its watches, up to and including {@code revision}. */
  public record Deliveries(long revision, List<Delivery> deliveries) {}

  /** The changes for one watch; {@code history} marks catch-up from the past. */
  public record Delivery(long watchId, List<WatchEvent> events, boolean history) {}

  /** To a subscriber: every change up to {@code revision} has been delivered. */
  public record Progress(long revision) {}

  /** To a subscriber: its watches on this namespace ended. */
  public record Ended(String reason) {}

  private record Watch(long id, String key, String rangeEnd) {
    boolean matches(String k) {
      return KeyRange.contains(key, rangeEnd, k);
    }
  }

  private final Map<ActorRef, List<Watch>> subscribers = new HashMap<>();

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
              subscribers.clear();
            })
        .match(Terminated.class, t -> subscribers.remove(t.getActor()))
        .build();
  }

  private void register(Register r) {
    r.subscriber()
        .tell(
            new Deliveries(r.revision(), List.of(new Delivery(r.watchId(), r.past(), true))),
            getSelf());
    subscribers
        .computeIfAbsent(
            r.subscriber(),
            s -> {
              getContext().watch(s);
              return new ArrayList<>(1);
            })
        .add(new Watch(r.watchId(), r.key(), r.rangeEnd()));
  }

  private void unregister(Unregister u) {
    List<Watch> ws = subscribers.get(u.subscriber());
    if (ws == null) {
      return;
    }
    if (u.watchId() >= 0) {
      ws.removeIf(w -> w.id() == u.watchId());
    }
    if (u.watchId() < 0 || ws.isEmpty()) {
      subscribers.remove(u.subscriber());
      getContext().unwatch(u.subscriber());
    }
  }

  private void committed(Committed c) {
    if (c.changes().isEmpty()) {
      return;
    }
    for (Map.Entry<ActorRef, List<Watch>> e : subscribers.entrySet()) {
      List<Delivery> out = null;
      for (Watch w : e.getValue()) {
        List<WatchEvent> matching = matching(w, c.changes());
        if (!matching.isEmpty()) {
          if (out == null) {
            out = new ArrayList<>(e.getValue().size());
          }
          out.add(new Delivery(w.id(), matching, false));
        }
      }
      if (out != null) {
        e.getKey().tell(new Deliveries(c.revision(), out), getSelf());
      }
    }
  }

  /** The changes {@code w} sees; the same list instance when it sees them all (shared encoding). */
  private static List<WatchEvent> matching(Watch w, List<WatchEvent> changes) {
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
