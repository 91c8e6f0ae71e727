package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore.RememberedEntities;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore.Update;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore.UpdateDone;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A shard's store of remembered leaders answers the shard at once while Pekko's journal store
 * behind it is still reading back (the shard serves without waiting), writes what it acknowledged
 * early once that store is ready, in order, and then asks the shard to start what was remembered
 * and not stopped since. The journal store here is a probe: the test answers for it.
 */
@Timeout(30)
class RememberedLeadersStoreTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Object GET = RememberEntitiesShardStore.GetEntities$.MODULE$;

  ActorSystem system;
  TestKit journal; // stands for Pekko's event-sourced store
  TestKit shard; // the store's parent, as the shard is
  ActorRef store;

  @BeforeEach
  void start() {
    system = ActorSystem.create("remembered-leaders-test");
    journal = new TestKit(system);
    shard = new TestKit(system);
    store =
        shard.childActorOf(
            RememberedLeadersStore.props(
                Props.create(Relay.class, journal.getRef()), Duration.ZERO));
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

  private static scala.collection.immutable.Set<String> set(String... ids) {
    return CollectionConverters.asScala(Set.of(ids)).toSet();
  }

  private static Update update(Set<String> started, Set<String> stopped) {
    return new Update(
        CollectionConverters.asScala(started).toSet(),
        CollectionConverters.asScala(stopped).toSet());
  }

  /** The store read back {@code ids}: the journal probe answers the store's first question. */
  private void journalReadBack(String... ids) {
    journal.expectMsgEquals(GET);
    journal.reply(new RememberedEntities(set(ids)));
  }

  @Test
  void whileTheJournalReadsBackTheShardIsAnsweredAtOnce() {
    store.tell(GET, shard.getRef());
    assertThat(shard.expectMsgClass(RememberedEntities.class).entities().isEmpty()).isTrue();

    Update startX = update(Set.of("x"), Set.of());
    store.tell(startX, shard.getRef());
    UpdateDone done = shard.expectMsgClass(UpdateDone.class);
    assertThat(CollectionConverters.asJava(done.started())).containsExactly("x");

    // Acknowledged before anything was written: the journal store, asked what it remembers and
    // not having answered, holds the change until it has (as Pekko's store stashes it).
    journal.expectMsgEquals(GET);
    journal.expectMsgEquals(startX);
    journal.expectNoMessage(QUIET);
  }

  @Test
  void earlyChangesAreWrittenInOrderAndWhatWasRememberedIsStarted() {
    store.tell(GET, shard.getRef());
    shard.expectMsgClass(RememberedEntities.class);
    Update startX = update(Set.of("x"), Set.of());
    Update stopB = update(Set.of(), Set.of("b"));
    store.tell(startX, shard.getRef());
    store.tell(stopB, shard.getRef());
    shard.expectMsgClass(UpdateDone.class);
    shard.expectMsgClass(UpdateDone.class);

    journalReadBack("a", "b");

    // The shard is asked to start a (remembered), not b (stopped since) nor x (running already).
    ShardRegion.StartEntity start = shard.expectMsgClass(ShardRegion.StartEntity.class);
    assertThat(start.entityId()).isEqualTo("a");

    // The early changes go to the journal store one at a time, in the order they came.
    journal.expectMsgEquals(startX);
    journal.expectNoMessage(QUIET);
    journal.reply(new UpdateDone(startX.started(), startX.stopped()));
    journal.expectMsgEquals(stopB);
    journal.reply(new UpdateDone(stopB.started(), stopB.stopped()));

    // They were acknowledged already: the shard hears nothing more of them.
    shard.expectNoMessage(QUIET);
  }

  @Test
  void onceReadBackAChangeIsAcknowledgedWhenWrittenAndARememberedStartNeedsNoWrite() {
    journalReadBack("a");
    shard.expectMsgClass(ShardRegion.StartEntity.class);

    // The shard starting a, as asked: a is remembered, so it is acknowledged without a write.
    store.tell(update(Set.of("a"), Set.of()), shard.getRef());
    shard.expectMsgClass(UpdateDone.class);
    journal.expectNoMessage(QUIET);

    Update startC = update(Set.of("c"), Set.of());
    store.tell(startC, shard.getRef());
    journal.expectMsgEquals(startC);
    shard.expectNoMessage(QUIET); // not before the journal store has written it
    journal.reply(new UpdateDone(startC.started(), startC.stopped()));
    UpdateDone done = shard.expectMsgClass(UpdateDone.class);
    assertThat(CollectionConverters.asJava(done.started())).containsExactly("c");

    // A later shard start (the store is asked again) is told everything remembered.
    store.tell(GET, shard.getRef());
    assertThat(
            CollectionConverters.asJava(shard.expectMsgClass(RememberedEntities.class).entities()))
        .containsExactlyInAnyOrder("a", "c");
  }

  @Test
  void theReadBackStartsAMomentAfterTheShardAndThenWritesWhatWasAcknowledged() {
    TestKit later = new TestKit(system);
    ActorRef delayed =
        shard.childActorOf(
            RememberedLeadersStore.props(
                Props.create(Relay.class, later.getRef()), Duration.ofMillis(700)));
    Update startX = update(Set.of("x"), Set.of());
    delayed.tell(GET, shard.getRef());
    shard.expectMsgClass(RememberedEntities.class);
    delayed.tell(startX, shard.getRef());
    shard.expectMsgClass(UpdateDone.class);
    later.expectNoMessage(Duration.ofMillis(400)); // the journal store is not started yet
    later.expectMsgEquals(GET);
    later.expectMsgEquals(startX);
  }

  @Test
  void aJournalStoreThatStopsStopsTheStore() {
    TestKit watcher = new TestKit(system);
    watcher.watch(store);
    journal.expectMsgEquals(GET);
    system
        .actorSelection(store.path().child("journal"))
        .tell(PoisonPill.getInstance(), ActorRef.noSender());
    watcher.expectTerminated(store);
  }
}
