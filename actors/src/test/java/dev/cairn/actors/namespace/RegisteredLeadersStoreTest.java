package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.keyspace.Read;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
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
 * A shard's store of leaders to start answers the shard at once, whether or not the namespace
 * registry has answered, writes nothing, and has the shard start exactly the registered namespaces
 * that fall in it. The registry and the shard are probes: the test answers for the registry.
 */
@Timeout(30)
class RegisteredLeadersStoreTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Object GET = RememberEntitiesShardStore.GetEntities$.MODULE$;
  private static final int SHARDS = 4;
  private static final String SHARD = "1";

  ActorSystem system;
  TestKit registry;
  TestKit shard; // the store's parent, as the shard is

  /** Namespaces in shard {@link #SHARD}, and as many outside it, all registered. */
  final List<String> inShard = new ArrayList<>();

  final List<String> elsewhere = new ArrayList<>();

  @BeforeEach
  void start() {
    system = ActorSystem.create("registered-leaders-test");
    registry = new TestKit(system);
    shard = new TestKit(system);
    for (int i = 0; inShard.size() < 3 || elsewhere.size() < 3; i++) {
      String name = "ns-" + i;
      (RegisteredLeadersStore.inThisShard(name, SHARD, SHARDS) ? inShard : elsewhere).add(name);
    }
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private ActorRef store(Duration askTimeout) {
    return shard.childActorOf(
        RegisteredLeadersStore.props(
            SHARD, registry.getRef().path().toStringWithoutAddress(), SHARDS, askTimeout));
  }

  private NamespaceRegistry.Names allNames() {
    List<String> all = new ArrayList<>(inShard);
    all.addAll(elsewhere);
    return new NamespaceRegistry.Names(all);
  }

  private static Update update(Set<String> started, Set<String> stopped) {
    return new Update(
        CollectionConverters.asScala(started).toSet(),
        CollectionConverters.asScala(stopped).toSet());
  }

  private List<String> startedByShard(int n) {
    List<String> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      started.add(shard.expectMsgClass(ShardRegion.StartEntity.class).entityId());
    }
    return started;
  }

  @Test
  void theShardIsAnsweredAtOnceAndStartsTheRegisteredNamespacesOnceTheRegistryAnswers() {
    ActorRef store = store(Duration.ofSeconds(5));
    registry.expectMsgClass(NamespaceRegistry.ListNames.class);

    store.tell(GET, shard.getRef());
    assertThat(shard.expectMsgClass(RememberedEntities.class).entities().isEmpty()).isTrue();

    registry.reply(allNames());
    assertThat(startedByShard(inShard.size())).containsExactlyInAnyOrderElementsOf(inShard);
    shard.expectNoMessage(QUIET);
  }

  @Test
  void whicheverComesFirstEachRegisteredNamespaceOfTheShardIsStartedOnce() {
    ActorRef store = store(Duration.ofSeconds(5));
    registry.expectMsgClass(NamespaceRegistry.ListNames.class);
    registry.reply(allNames());
    // The registry's answer reaches the store through the ask, so it may come before or after
    // the shard's question: the namespaces are then in the answer, or started after it.
    store.tell(GET, shard.getRef());
    List<String> started =
        new ArrayList<>(
            CollectionConverters.asJava(shard.expectMsgClass(RememberedEntities.class).entities()));
    started.addAll(startedByShard(inShard.size() - started.size()));
    assertThat(started).containsExactlyInAnyOrderElementsOf(inShard);
    shard.expectNoMessage(QUIET);
  }

  @Test
  void aNamespaceIsInTheShardItsRequestsAreRoutedTo() {
    ShardRegion.MessageExtractor routing = Namespaces.messageExtractor(SHARDS);
    for (String name : inShard) {
      assertThat(
              routing.shardId(
                  new Namespaces.Envelope(name, new NamespaceLeader.Query(Read.Range.key("k")))))
          .isEqualTo(SHARD);
    }
    for (String name : elsewhere) {
      assertThat(
              routing.shardId(
                  new Namespaces.Envelope(name, new NamespaceLeader.Query(Read.Range.key("k")))))
          .isNotEqualTo(SHARD);
    }
  }

  @Test
  void changesAreAcknowledgedAtOnceWithNothingWritten() {
    ActorRef store = store(Duration.ofSeconds(5));
    registry.expectMsgClass(NamespaceRegistry.ListNames.class);
    store.tell(GET, shard.getRef());
    shard.expectMsgClass(RememberedEntities.class);

    store.tell(update(Set.of("x"), Set.of("y")), shard.getRef());
    UpdateDone done = shard.expectMsgClass(UpdateDone.class);
    assertThat(CollectionConverters.asJava(done.started())).containsExactly("x");
    assertThat(CollectionConverters.asJava(done.stopped())).containsExactly("y");
    registry.expectNoMessage(QUIET);
  }

  @Test
  void aRegistryThatDoesNotAnswerIsAskedAgain() {
    ActorRef store = store(Duration.ofMillis(200));
    store.tell(GET, shard.getRef());
    shard.expectMsgClass(RememberedEntities.class);
    registry.expectMsgClass(NamespaceRegistry.ListNames.class); // not answered: times out
    registry.expectMsgClass(Duration.ofSeconds(3), NamespaceRegistry.ListNames.class);
    registry.reply(allNames());
    assertThat(startedByShard(inShard.size())).containsExactlyInAnyOrderElementsOf(inShard);
  }
}
