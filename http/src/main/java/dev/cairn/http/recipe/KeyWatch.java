package dev.cairn.http.recipe;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnException;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;

/**
 * One key's watch for an {@link InProcessClient}: subscribes to the namespace leader's watch hub,
 * hands each change from {@code fromRevision} on to a listener, in revision order, and subscribes
 * again after the last revision it handed over when the hub stops (with its leader), as a watch
 * connection does. Stops when cancelled, or after reporting a watch that cannot go on.
 */
final class KeyWatch extends AbstractActorWithTimers {
  /** Not at once after a hub stops: a subscription sent then would reach the dying leader. */
  private static final Duration RESUBSCRIBE_AFTER = Duration.ofMillis(200);

  /** A subscription not registered by then was lost (sent to a stopping leader): ask again. */
  private static final Duration REGISTERED_WITHIN = Duration.ofSeconds(2);

  /** Shared with the cancelling thread: no change is handed over once it is set. */
  static final class Handle {
    volatile boolean cancelled;
  }

  private record Resubscribe() {}

  private final Namespaces namespaces;
  private final String namespace;
  private final String key;
  private final Consumer<WatchEvent> listener;
  private final Consumer<Throwable> onError;
  private final Handle handle;
  private long next;
  private long subscription;
  private ActorRef hub;

  private KeyWatch(
      Namespaces namespaces,
      String namespace,
      String key,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError,
      Handle handle) {
    this.namespaces = namespaces;
    this.namespace = namespace;
    this.key = key;
    this.next = fromRevision;
    this.listener = listener;
    this.onError = onError;
    this.handle = handle;
  }

  static Props props(
      Namespaces namespaces,
      String namespace,
      String key,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError,
      Handle handle) {
    return Props.create(
        KeyWatch.class,
        () -> new KeyWatch(namespaces, namespace, key, fromRevision, listener, onError, handle));
  }

  @Override
  public void preStart() {
    subscribe();
  }

  @Override
  public void postStop() {
    namespaces.tell(namespace, new NamespaceLeader.Unsubscribe(getSelf(), -1), getSelf());
  }

  private void subscribe() {
    subscription++;
    hub = null;
    namespaces.tell(
        namespace,
        new NamespaceLeader.Subscribe(subscription, key, null, next, getSelf()),
        getSelf());
    timers().startSingleTimer("resubscribe", new Resubscribe(), REGISTERED_WITHIN);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(WatchHub.Deliveries.class, this::deliver)
        .match(Terminated.class, t -> hubStopped(t.getActor()))
        .match(Resubscribe.class, r -> subscribe())
        .match(WatchHub.Progress.class, p -> {})
        .match(
            WatchHub.Ended.class,
            e ->
                fail(
                    new CairnException(
                        dev.cairn.core.ErrorCode.NAMESPACE_NOT_FOUND,
                        "watch ended: " + e.reason())))
        .match(
            NamespaceLeader.WatchCompacted.class,
            c ->
                fail(
                    new CairnException(
                        dev.cairn.core.ErrorCode.COMPACTED,
                        "revision " + next + " is compacted (at " + c.compactRevision() + ")")))
        .match(
            NamespaceLeader.WatchRefused.class,
            r -> fail(new CairnException(r.rejection().code(), r.rejection().detail())))
        .build();
  }

  private void deliver(WatchHub.Deliveries d) {
    ActorRef sender = getSender();
    for (WatchHub.Delivery delivery : d.deliveries()) {
      boolean ours = false;
      for (long id : delivery.watchIds()) {
        ours |= id == subscription;
      }
      if (!ours) {
        continue; // an earlier subscription's, superseded
      }
      if (delivery.history()) {
        hub = sender;
        getContext().watch(sender);
        timers().cancel("resubscribe");
      } else if (!sender.equals(hub)) {
        continue;
      }
      for (WatchEvent e : delivery.events()) {
        if (e.revision() >= next && !handle.cancelled) {
          next = e.revision() + 1;
          listener.accept(e);
        }
      }
    }
  }

  private void hubStopped(ActorRef stopped) {
    if (stopped.equals(hub)) {
      hub = null;
      timers().startSingleTimer("resubscribe", new Resubscribe(), RESUBSCRIBE_AFTER);
    }
  }

  private void fail(Throwable t) {
    if (!handle.cancelled) {
      onError.accept(t);
    }
    getContext().stop(getSelf());
  }
}
