package dev.cairn.actors.namespace;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One shard's store of remembered leaders, in front of Pekko's event-sourced store (its child,
 * {@code journal}, started a moment after the shard: see {@link #props}), so that a shard that has
 * just started — on another node after a failover or a hand-off, or after a restart — serves its
 * requests at once rather than after its remembered leaders have been read back from the journal (a
 * snapshot, the highest sequence number and a replay: about 0.3 s of Cassandra reads on a loaded
 * node, during which the shard held every request).
 *
 * <ul>
 *   <li>While the journal store recovers, the shard is told it remembers nothing, and each change
 *       the shard asks for (a leader started, a leader stopped) is acknowledged at once and written
 *       when the journal store is ready, in order. So a request for a namespace starts its leader
 *       without waiting.
 *   <li>Once the journal store has recovered, this store asks the shard to start every leader it
 *       remembered that has not been stopped since ({@link ShardRegion.StartEntity}); from then on
 *       a change is acknowledged once the journal has written it, as Pekko's store does, except a
 *       start of a leader already remembered, which needs no write.
 * </ul>
 *
 * <p>The price: a leader started in the first moments of a shard's life (before the read back, a
 * second or so) is remembered only when its start has been written after that; if this node dies in
 * between, the leader is started again by the next request for its namespace rather than by its
 * next shard. A stop acknowledged early and lost the same way only means one start too many. A
 * journal store that fails stops this store, and the shard starts again after {@code
 * pekko.cluster.sharding.shard-failure-backoff}, as with Pekko's store alone.
 */
final class RememberedLeadersStore extends AbstractActorWithTimers {
  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final Props journalProps;
  private final Duration readBackAfter;

  /** Pekko's store, once started ({@link #readBackAfter} after this one). */
  private ActorRef journal;

  /** Whether the journal store has answered with what it remembered. */
  private boolean loaded;

  /** The leaders remembered once every change below is written (known only once loaded). */
  private final Set<String> remembered = new HashSet<>();

  /**
   * Changes to write, in order; the first is with the journal store. Until it has loaded, all of
   * them are changes acknowledged early: it answers what it remembers before it writes anything.
   */
  private final Deque<Pending> writes = new ArrayDeque<>();

  /** A change to write, and whom to acknowledge it to once written (null: acknowledged already). */
  private record Pending(RememberEntitiesShardStore.Update update, ActorRef replyTo) {}

  /** Starts Pekko's store and its read back. */
  private enum ReadBack {
    NOW
  }

  /**
   * @param journalStore Pekko's event-sourced store of the same shard
   * @param readBackAfter how long after the shard's start its remembered leaders are read back:
   *     long enough for the leaders asked for at once to have recovered, whose reads of the journal
   *     would otherwise share it with the read back
   */
  static Props props(Props journalStore, Duration readBackAfter) {
    return Props.create(
        RememberedLeadersStore.class,
        () -> new RememberedLeadersStore(journalStore, readBackAfter));
  }

  private RememberedLeadersStore(Props journalProps, Duration readBackAfter) {
    this.journalProps = journalProps;
    this.readBackAfter = readBackAfter;
  }

  @Override
  public void preStart() {
    if (readBackAfter.isZero()) {
      readBack();
    } else {
      getTimers().startSingleTimer(ReadBack.NOW, ReadBack.NOW, readBackAfter);
    }
  }

  private void readBack() {
    journal = getContext().actorOf(journalProps, "journal");
    getContext().watch(journal);
    journal.tell(RememberEntitiesShardStore.GetEntities$.MODULE$, getSelf());
    Pending first = writes.peek();
    if (first != null) {
      journal.tell(first.update(), getSelf());
    }
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .matchEquals(ReadBack.NOW, r -> readBack())
        .matchEquals(RememberEntitiesShardStore.GetEntities$.MODULE$, g -> answerEntities())
        .match(RememberEntitiesShardStore.RememberedEntities.class, this::onLoaded)
        .match(RememberEntitiesShardStore.Update.class, this::onUpdate)
        .match(RememberEntitiesShardStore.UpdateDone.class, d -> onWritten())
        .match(ShardRegion.StartEntityAck.class, ack -> {})
        .match(Terminated.class, t -> onJournalStopped())
        .build();
  }

  /** The shard asks once, as it starts: it is told what is known now, nothing before the load. */
  private void answerEntities() {
    getSender()
        .tell(
            new RememberEntitiesShardStore.RememberedEntities(
                scalaSet(loaded ? remembered : Set.of())),
            getSelf());
  }

  private void onLoaded(RememberEntitiesShardStore.RememberedEntities loadedEntities) {
    Set<String> fromJournal = CollectionConverters.asJava(loadedEntities.entities());
    remembered.addAll(fromJournal);
    for (Pending early : writes) {
      apply(early.update());
    }
    loaded = true;
    int starting = 0;
    for (String id : fromJournal) {
      if (remembered.contains(id)) {
        getContext().getParent().tell(new ShardRegion.StartEntity(id), getSelf());
        starting++;
      }
    }
    log.debug(
        "remembered leaders read back: {}, starting {} of them, {} change(s) to write",
        fromJournal.size(),
        starting,
        writes.size());
  }

  private void onUpdate(RememberEntitiesShardStore.Update update) {
    if (!loaded) {
      enqueue(update, null);
      getSender()
          .tell(
              new RememberEntitiesShardStore.UpdateDone(update.started(), update.stopped()),
              getSelf());
      return;
    }
    Set<String> started = CollectionConverters.asJava(update.started());
    Set<String> stopped = CollectionConverters.asJava(update.stopped());
    if (remembered.containsAll(started) && stopped.stream().noneMatch(remembered::contains)) {
      getSender()
          .tell(
              new RememberEntitiesShardStore.UpdateDone(update.started(), update.stopped()),
              getSelf());
      return;
    }
    apply(update);
    enqueue(update, getSender());
  }

  private void apply(RememberEntitiesShardStore.Update update) {
    remembered.addAll(CollectionConverters.asJava(update.started()));
    remembered.removeAll(CollectionConverters.asJava(update.stopped()));
  }

  private void enqueue(RememberEntitiesShardStore.Update update, ActorRef replyTo) {
    writes.add(new Pending(update, replyTo));
    if (writes.size() == 1 && journal != null) {
      journal.tell(update, getSelf());
    }
  }

  private void onWritten() {
    Pending done = writes.poll();
    if (done == null) {
      return;
    }
    if (done.replyTo() != null) {
      done.replyTo()
          .tell(
              new RememberEntitiesShardStore.UpdateDone(
                  done.update().started(), done.update().stopped()),
              getSelf());
    }
    Pending next = writes.peek();
    if (next != null) {
      journal.tell(next.update(), getSelf());
    }
  }

  private void onJournalStopped() {
    log.warning(
        "the journal store of remembered leaders stopped ({} change(s) unwritten); the shard starts"
            + " again",
        writes.size());
    getContext().stop(getSelf());
  }

  private static scala.collection.immutable.Set<String> scalaSet(Set<String> ids) {
    return CollectionConverters.asScala(new HashSet<>(ids)).toSet();
  }
}
