package dev.cairn.http.watch;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHub;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.TimerScheduler;

/**
 * The subscription lifecycle of an actor's watches on one namespace's watch hubs: subscribe, take a
 * hub's registration and deliveries, subscribe again when the hub stops with its leader or when a
 * subscription gets no answer, and unsubscribe. Both a watch connection and the recipes' in-process
 * watches run their watches through it, so they behave the same across a leader stop.
 *
 * <p>The contract that makes a watch's stream exact (no gap, no duplicate): a watch takes a hub's
 * messages only from the hub that registered its current subscription; a new subscription (under a
 * new id) resumes at the revision after the last one handed to the watch; a delivery naming an id
 * the owner no longer knows is unregistered at its hub, and a subscription replaced for want of an
 * answer is unsubscribed in case it was only slow, so no superseded registration stays behind.
 *
 * <p>Confined to the owner's actor. The owner passes its timers: the subscriber uses the timer key
 * {@code "resubscribe"} with the message {@link Check}, which the owner hands to {@link
 * #checkOverdue()}; and it passes {@code Terminated} of a hub to {@link #hubStopped(ActorRef)}.
 *
 * @param <S> the owner's watch type
 */
public final class Subscriber<S extends Subscription> {
  /**
   * How long after its hub stops a watch subscribes again: the hub stops just before its leader
   * leaves the node's local leaders and its shard, so a subscription sent at once would reach the
   * dying leader and be lost.
   */
  static final Duration AFTER_LEADER_STOP = Duration.ofMillis(100);

  private static final String TIMER = "resubscribe";

  /** The owner's timer message: hand it to {@link #checkOverdue()}. */
  public record Check() {}

  /** What happened to a delivery offered to a watch. */
  public enum Taken {
    /** Not the watch's: from another hub than the one it is registered with. */
    NO,
    /** The watch's first registration: its history follows in this delivery. */
    FIRST,
    /** The watch's: hand its events on. */
    YES
  }

  /** The owner's watches, as the subscriber finds them. */
  public interface Index<S> {
    /** The watch a hub or leader message names by its subscription id; null when dropped. */
    S bySubscription(long subscription);

    /** Gives {@code s} a new subscription id; the old one is no longer known. */
    void renew(S s);

    /** The active watches registered with {@code hub}. */
    List<S> registeredWith(ActorRef hub);

    /** The active watches whose subscription is waiting for an answer. */
    List<S> waiting();
  }

  /** The index of an owner with one watch, {@code s}. */
  public static <S extends Subscription> Index<S> single(S s) {
    return new Index<>() {
      @Override
      public S bySubscription(long subscription) {
        return s.subscription == subscription ? s : null;
      }

      @Override
      public void renew(S w) {
        w.subscription++;
      }

      @Override
      public List<S> registeredWith(ActorRef hub) {
        return s.active && hub.equals(s.hub) ? List.of(s) : List.of();
      }

      @Override
      public List<S> waiting() {
        return s.active && s.hub == null ? List.of(s) : List.of();
      }
    };
  }

  private final Namespaces namespaces;
  private final String namespace;
  private final Duration resubscribeAfter;
  private final AbstractActor.ActorContext context;
  private final TimerScheduler timers;
  private final Index<S> index;

  /**
   * @param resubscribeAfter how long a subscription may go without an answer before it is sent
   *     again ({@link WatchSettings#resubscribeAfter()})
   */
  public Subscriber(
      Namespaces namespaces,
      String namespace,
      Duration resubscribeAfter,
      AbstractActor.ActorContext context,
      TimerScheduler timers,
      Index<S> index) {
    this.namespaces = namespaces;
    this.namespace = namespace;
    this.resubscribeAfter = resubscribeAfter;
    this.context = context;
    this.timers = timers;
    this.index = index;
  }

  /**
   * Sends the watch's subscription to its namespace's leader: from its start revision until it is
   * registered, then from the revision after the last one it was handed. The registration (or a
   * refusal) is the answer; without one in time the watch subscribes again.
   */
  public void subscribe(S s) {
    long from = s.registered ? s.received + 1 : s.startRevision;
    s.hub = null;
    s.subscribedAt = System.nanoTime();
    namespaces.tell(
        namespace,
        new NamespaceLeader.Subscribe(s.subscription, s.key, s.rangeEnd, from, context.getSelf()),
        context.getSelf());
    if (!timers.isTimerActive(TIMER)) {
      timers.startSingleTimer(TIMER, new Check(), resubscribeAfter);
    }
  }

  /** Subscribes {@code s} again under a new subscription id, dropping the old one. */
  void resubscribe(S s) {
    // In case the old subscription still registers (it was only slow): it must not stay behind.
    unsubscribe(s);
    index.renew(s);
    subscribe(s);
  }

  /** Ends {@code s}'s current subscription at its leader (a cancel, or before a renewal). */
  public void unsubscribe(S s) {
    namespaces.tell(
        namespace,
        new NamespaceLeader.Unsubscribe(context.getSelf(), s.subscription),
        context.getSelf());
  }

  /** Ends every subscription of the owner (it stops). */
  public void unsubscribeAll() {
    namespaces.tell(
        namespace, new NamespaceLeader.Unsubscribe(context.getSelf(), -1), context.getSelf());
  }

  /**
   * A hub stopped (with its leader): its registrations are gone. Every watch registered with it
   * subscribes again, shortly, from the revision after the last one it was handed; meanwhile it
   * takes nothing (the stopped hub's deliveries still on their way are in the new history).
   *
   * @return how many watches subscribe again
   */
  public int hubStopped(ActorRef hub) {
    List<S> affected = index.registeredWith(hub);
    if (affected.isEmpty()) {
      return 0;
    }
    long now = System.nanoTime();
    long dueIn = AFTER_LEADER_STOP.toNanos() - resubscribeAfter.toNanos();
    for (S s : affected) {
      s.hub = null;
      s.subscribedAt = now + dueIn;
    }
    timers.startSingleTimer(TIMER, new Check(), AFTER_LEADER_STOP);
    return affected.size();
  }

  /** Subscribes again every watch whose subscription got no answer in time. */
  public void checkOverdue() {
    long now = System.nanoTime();
    long after = resubscribeAfter.toNanos();
    List<S> waiting = index.waiting();
    for (S s : waiting) {
      if (now - s.subscribedAt >= after) {
        // Lost (e.g. sent to a leader that was stopping) or slow: ask again.
        resubscribe(s);
      }
    }
    if (!waiting.isEmpty() && !timers.isTimerActive(TIMER)) {
      timers.startSingleTimer(TIMER, new Check(), resubscribeAfter);
    }
  }

  /**
   * The active watch a delivery from {@code hub} names by {@code subscription}, or null. A
   * subscription the owner dropped (cancelled, or replaced after a lost answer) that registered all
   * the same is unregistered at that hub, so it stops delivering to it.
   */
  public S find(long subscription, ActorRef hub) {
    S s = index.bySubscription(subscription);
    if (s == null) {
      hub.tell(new WatchHub.Unregister(context.getSelf(), subscription), context.getSelf());
      return null;
    }
    return s.active ? s : null;
  }

  /**
   * Whether {@code s} takes a delivery of {@code revision} from {@code hub}: a registration ({@code
   * history}) makes {@code hub} the watch's hub (watched, to subscribe again when it stops);
   * anything else counts only from that hub. A taken delivery advances the watch's resume point to
   * {@code revision}.
   */
  public Taken take(S s, boolean history, ActorRef hub, long revision) {
    Taken taken = Taken.YES;
    if (history) {
      s.hub = hub;
      context.watch(hub);
      if (!s.registered) {
        s.registered = true;
        taken = Taken.FIRST;
      }
    } else if (!hub.equals(s.hub)) {
      return Taken.NO;
    }
    s.received = Math.max(s.received, revision);
    return taken;
  }

  /**
   * Whether a progress at {@code revision} from {@code hub} counts for {@code s}: only the hub the
   * watch is registered with has handed it every change up to the mark; a watch between two hubs
   * (its leader stopped) or not registered yet gets no progress.
   */
  public boolean takeProgress(S s, ActorRef hub, long revision) {
    if (s.active && s.registered && hub.equals(s.hub)) {
      s.received = Math.max(s.received, revision);
      return true;
    }
    return false;
  }
}
