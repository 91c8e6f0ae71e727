package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesCoordinatorStore;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesCoordinatorStore.AddShard;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesCoordinatorStore.RememberedShards;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesCoordinatorStore.UpdateDone;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The coordinator's store of remembered shards writes a shard through Pekko's journal store the
 * first time only: one the journal store reported or wrote is acknowledged at once. The journal
 * store is a probe here: the test answers for it.
 */
@Timeout(30)
class RememberedShardsStoreTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Object GET = RememberEntitiesCoordinatorStore.GetShards$.MODULE$;

  ActorSystem system;
  TestKit journal;
  TestKit coordinator;
  ActorRef store;

  @BeforeEach
  void start() {
    system = ActorSystem.create("remembered-shards-test");
    journal = new TestKit(system);
    coordinator = new TestKit(system);
    store =
        coordinator.childActorOf(
            RememberedShardsStore.props(Props.create(Relay.class, journal.getRef())));
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  /** Hands everything to the probe with its sender, so that the probe answers the store. */
  static final class Relay extends AbstractActor {
    private final ActorRef to;

    Relay(ActorRef to) {
      this.to = to;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().matchAny(m -> to.forward(m, getContext())).build();
    }
  }

  @Test
  void aShardTheJournalHoldsIsAcknowledgedAtOnceAndANewOneOnceWritten() {
    store.tell(GET, coordinator.getRef());
    journal.expectMsgEquals(GET);
    journal.reply(new RememberedShards(CollectionConverters.asScala(Set.of("1", "2")).toSet()));
    assertThat(
            CollectionConverters.asJava(
                coordinator.expectMsgClass(RememberedShards.class).entities()))
        .containsExactlyInAnyOrder("1", "2");

    store.tell(new AddShard("1"), coordinator.getRef());
    assertThat(coordinator.expectMsgClass(UpdateDone.class).entityId()).isEqualTo("1");
    journal.expectNoMessage(QUIET);

    store.tell(new AddShard("3"), coordinator.getRef());
    journal.expectMsgEquals(new AddShard("3"));
    coordinator.expectNoMessage(QUIET); // not before the journal store has written it
    journal.reply(new UpdateDone("3"));
    assertThat(coordinator.expectMsgClass(UpdateDone.class).entityId()).isEqualTo("3");

    // Written once: the next allocation of shard 3 needs no write.
    store.tell(new AddShard("3"), coordinator.getRef());
    assertThat(coordinator.expectMsgClass(UpdateDone.class).entityId()).isEqualTo("3");
    journal.expectNoMessage(QUIET);
  }

  @Test
  void aShardAddedBeforeTheJournalAnsweredIsWritten() {
    store.tell(new AddShard("1"), coordinator.getRef());
    journal.expectMsgEquals(new AddShard("1"));
  }

  @Test
  void aJournalStoreThatStopsStopsTheStore() {
    TestKit watcher = new TestKit(system);
    watcher.watch(store);
    store.tell(GET, coordinator.getRef());
    journal.expectMsgEquals(GET); // the journal store runs: a message to it now reaches it
    system
        .actorSelection(store.path().child("journal"))
        .tell(PoisonPill.getInstance(), ActorRef.noSender());
    watcher.expectTerminated(store);
  }
}
