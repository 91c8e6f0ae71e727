package dev.cairn.actors.namespace;

import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesCoordinatorStore;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The shard coordinator's store of remembered shards: Pekko's event-sourced store ({@code journal},
 * its child), except that a shard it already holds is acknowledged at once, without a write. The
 * coordinator asks to remember a shard every time it allocates one that has no home, which includes
 * every hand-off and failover of a shard it has allocated before; Pekko's store writes each of
 * those to the journal, a Cassandra round trip (20–120 ms measured on a loaded node) between the
 * old leader's stop and the new one's start. A shard is known here once the journal store has
 * reported it or written it, so nothing acknowledged here is missing from the journal.
 */
final class RememberedShardsStore extends AbstractActor {
  private final Props journalProps;
  private ActorRef journal;

  /** The shards the journal store holds, as far as it has said. */
  private final Set<String> known = new HashSet<>();

  /** Who asked for the shards (the coordinator); it also gets every acknowledgement. */
  private ActorRef coordinator = ActorRef.noSender();

  static Props props(Props journalStore) {
    return Props.create(RememberedShardsStore.class, () -> new RememberedShardsStore(journalStore));
  }

  private RememberedShardsStore(Props journalProps) {
    this.journalProps = journalProps;
  }

  @Override
  public void preStart() {
    journal = getContext().actorOf(journalProps, "journal");
    getContext().watch(journal);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .matchEquals(
            RememberEntitiesCoordinatorStore.GetShards$.MODULE$,
            g -> {
              coordinator = getSender();
              journal.tell(g, getSelf());
            })
        .match(
            RememberEntitiesCoordinatorStore.RememberedShards.class,
            r -> {
              known.addAll(CollectionConverters.asJava(r.entities()));
              coordinator.tell(r, getSelf());
            })
        .match(RememberEntitiesCoordinatorStore.AddShard.class, this::add)
        .match(
            RememberEntitiesCoordinatorStore.UpdateDone.class,
            d -> {
              known.add(d.entityId());
              coordinator.tell(d, getSelf());
            })
        .match(
            RememberEntitiesCoordinatorStore.UpdateFailed.class,
            f -> coordinator.tell(f, getSelf()))
        .match(Terminated.class, t -> getContext().stop(getSelf()))
        .build();
  }

  private void add(RememberEntitiesCoordinatorStore.AddShard add) {
    coordinator = getSender();
    if (known.contains(add.entityId())) {
      getSender().tell(new RememberEntitiesCoordinatorStore.UpdateDone(add.entityId()), getSelf());
    } else {
      journal.tell(add, getSelf());
    }
  }
}
