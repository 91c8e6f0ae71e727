package dev.cairn.http.recipe;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.watch.Subscriber;
import dev.cairn.http.watch.Subscription;
import dev.cairn.http.watch.WatchSettings;
import dev.cairn.recipes.CairnException;
import java.util.function.Consumer;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;

/**
 * One watch (a key, or a range) for an {@link InProcessClient}: hands each change from {@code
 * fromRevision} on to a listener, in revision order, each once. Its subscription runs through the
 * same {@link Subscriber} as a watch connection's watches: it takes deliveries only from the hub
 * that registered it, subscribes again after the last revision it was handed when that hub stops
 * (with its leader) or when a subscription gets no answer within {@code
 * cairn.watch.resubscribe-after}, and unregisters any superseded subscription. Stops when
 * cancelled, or after reporting a watch that cannot go on.
 */
final class KeyWatch extends AbstractActorWithTimers {

  /** Shared with the cancelling thread: no change is handed over once it is set. */
  static final class Handle {
    volatile boolean cancelled;
  }

  private final Consumer<WatchEvent> listener;
  private final Consumer<Throwable> onError;
  private final Handle handle;
  private final Subscription watch;
  private final Subscriber.Index<Subscription> index;
  private final Subscriber<Subscription> subscriber;

  private KeyWatch(
      Namespaces namespaces,
      String namespace,
      WatchSettings settings,
      String key,
      String rangeEnd,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError,
      Handle handle) {
    this.listener = listener;
    this.onError = onError;
    this.handle = handle;
    this.watch = new Subscription(1, key, rangeEnd, fromRevision);
    this.index = Subscriber.single(watch);
    this.subscriber =
        new Subscriber<>(
            namespaces, namespace, settings.resubscribeAfter(), getContext(), timers(), index);
  }

  static Props props(
      Namespaces namespaces,
      String namespace,
      WatchSettings settings,
      String key,
      String rangeEnd,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError,
      Handle handle) {
    return Props.create(
        KeyWatch.class,
        () ->
            new KeyWatch(
                namespaces,
                namespace,
                settings,
                key,
                rangeEnd,
                fromRevision,
                listener,
                onError,
                handle));
  }

  @Override
  public void preStart() {
    subscriber.subscribe(watch);
  }

  @Override
  public void postStop() {
    subscriber.unsubscribeAll();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(WatchHub.Deliveries.class, this::deliver)
        .match(Terminated.class, t -> subscriber.hubStopped(t.getActor()))
        .match(Subscriber.Check.class, c -> subscriber.checkOverdue())
        .match(WatchHub.Progress.class, p -> {})
        .match(
            WatchHub.Ended.class,
            e ->
                fail(
                    new CairnException(
                        ErrorCode.NAMESPACE_NOT_FOUND, "watch ended: " + e.reason())))
        .match(
            NamespaceLeader.WatchCompacted.class,
            c -> {
              if (ours(c.watchId())) {
                fail(
                    new CairnException(
                        ErrorCode.COMPACTED,
                        "the watch's resume point is compacted (at " + c.compactRevision() + ")"));
              }
            })
        .match(
            NamespaceLeader.WatchRefused.class,
            r -> {
              if (ours(r.watchId())) {
                fail(new CairnException(r.rejection().code(), r.rejection().detail()));
              }
            })
        .build();
  }

  /** A refusal counts only for the current subscription, not one already replaced. */
  private boolean ours(long subscription) {
    return index.bySubscription(subscription) != null;
  }

  private void deliver(WatchHub.Deliveries d) {
    for (WatchHub.Delivery delivery : d.deliveries()) {
      for (long id : delivery.watchIds()) {
        Subscription w = subscriber.find(id, getSender());
        if (w == null
            || subscriber.take(w, delivery.history(), getSender(), d.revision())
                == Subscriber.Taken.NO) {
          continue;
        }
        for (WatchEvent e : delivery.events()) {
          // Every event of a taken delivery is new (a subscription resumes after the last revision
          // handed over); a start in the future gets live changes from now, filtered here.
          if (e.revision() >= w.startRevision() && !handle.cancelled) {
            listener.accept(e);
          }
        }
      }
    }
  }

  private void fail(Throwable t) {
    if (!handle.cancelled) {
      onError.accept(t);
    }
    getContext().stop(getSelf());
  }
}
