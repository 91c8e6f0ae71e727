package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Leaders under Cluster Sharding on a one-node cluster: a request naming a namespace that does not
 * exist starts no leader; a leader running for one (deleted, or reached through the shard region
 * directly) stops after {@code cairn.namespace.absent-idle} without requests; the leader of an
 * existing one stops after {@code cairn.namespace.passivate-idle} unless it holds leases, and the
 * default namespace's stays.
 */
@Timeout(60)
class AbsentNamespacePassivationTest {
  private static final Duration IDLE = Duration.ofMillis(300);

  /** Several idle periods: long enough for a wrongly running idle timer to fire more than once. */
  private static final Duration SEVERAL_IDLE = IDLE.multipliedBy(5);

  private static final Duration T = Duration.ofSeconds(10);

  ActorSystem system;
  Namespaces namespaces;
  ActorRef region;

  @BeforeEach
  void start(TestInfo test) throws Exception {
    // Existing namespaces passivate only in the tests about it, so the others see them stay.
    Duration passivateIdle = test.getTags().contains("passivate") ? IDLE : Duration.ZERO;
    Config config =
        OneNode.config(
            "cairn.namespace.absent-idle = "
                + IDLE.toMillis()
                + "ms\n"
                + "cairn.namespace.passivate-idle = "
                + passivateIdle.toMillis()
                + "ms\n"
                // Ticks far more often than the idle time, as with the defaults (100ms vs 30s).
                + "cairn.namespace.tick-interval = 50ms");
    system = ActorSystem.create("passivation-test", config);
    namespaces = OneNode.namespaces(system, T);
    region = ClusterSharding.get(system).shardRegion(Namespaces.SHARD_TYPE);
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  static <R> R await(CompletionStage<R> stage) {
    try {
      return stage.toCompletableFuture().get(T.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer", e);
    }
  }

  Reply put(String namespace) {
    return await(namespaces.write(namespace, Command.Put.of("k", "v")));
  }

  static void assertNamespaceNotFound(Reply reply) {
    assertThat(reply).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) reply).code()).isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
  }

  /** The running leader of {@code namespace} on this node; it registers once recovered. */
  ActorRef leader(String namespace) {
    ActorRef leader = LocalLeaders.get(system).get(namespace);
    assertThat(leader).as("leader of %s registered", namespace).isNotNull();
    return leader;
  }

  /** The entities the shard region holds, as it reports them. */
  Set<String> entities() {
    ShardRegion.CurrentShardRegionState state =
        (ShardRegion.CurrentShardRegionState)
            await(Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), T));
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }

  /** Waits until the shard region no longer reports {@code namespace}'s entity. */
  void awaitNoEntity(String namespace) {
    long deadline = System.nanoTime() + T.toNanos();
    while (entities().contains(namespace)) {
      assertThat(System.nanoTime())
          .as("%s's entity gone from the shard", namespace)
          .isLessThan(deadline);
      new TestKit(system).expectNoMessage(Duration.ofMillis(20));
    }
  }

  /** Waits until the registry has recovered, so that it answers for names it does not list. */
  void awaitRegistryRecovered() {
    // Any listing goes through the registry, which answers once recovered.
    assertThat(await(namespaces.list())).contains(Namespaces.DEFAULT);
  }

  /** Starts {@code namespace}'s leader as a peer node would: through the shard region. */
  ActorRef startThroughRegion(String namespace) {
    Object answer =
        await(
            Patterns.ask(
                region,
                new Namespaces.Envelope(namespace, new NamespaceLeader.Query(Read.Range.key("k"))),
                T));
    assertNamespaceNotFound((Reply) answer);
    return leader(namespace);
  }

  @Test
  void requestsNamingAnAbsentNamespaceStartNoLeader() {
    awaitRegistryRecovered();
    assertThat(put(Namespaces.DEFAULT)).isInstanceOf(Reply.PutReply.class);
    int before = namespaces.runningLeaders();
    for (int i = 0; i < 50; i++) {
      assertNamespaceNotFound(put("ghost-" + i));
      assertNamespaceNotFound(await(namespaces.read("ghost-" + i, Read.Range.key("k"))));
      assertNamespaceNotFound(await(namespaces.delete("ghost-" + i, false)));
    }
    assertThat(namespaces.runningLeaders()).isEqualTo(before);
    assertThat(entities()).containsOnly(Namespaces.DEFAULT);
  }

  @Test
  void theLeaderOfAnAbsentNamespaceStopsAfterTheIdleTime() {
    awaitRegistryRecovered();
    ActorRef leader = startThroughRegion("ghost");
    assertThat(entities()).contains("ghost");
    assertThat(namespaces.runningLeaders()).isEqualTo(1);

    TestKit probe = new TestKit(system);
    probe.watch(leader);
    probe.expectTerminated(T, leader);
    assertThat(LocalLeaders.get(system).get("ghost")).isNull();
    awaitNoEntity("ghost");
    assertThat(namespaces.runningLeaders()).isZero();

    // A later request starts a new leader, which answers as the first one did.
    assertThat(startThroughRegion("ghost")).isNotEqualTo(leader);
  }

  @Test
  void theLeaderOfAnExistingNamespaceStays() {
    assertThat(put(Namespaces.DEFAULT)).isInstanceOf(Reply.PutReply.class);
    ActorRef leader = leader(Namespaces.DEFAULT);

    TestKit probe = new TestKit(system);
    probe.watch(leader);
    // The wait is the assertion: no Terminated over several idle periods.
    probe.expectNoMessage(SEVERAL_IDLE);

    assertThat(LocalLeaders.get(system).get(Namespaces.DEFAULT)).isSameAs(leader);
    assertThat(entities()).contains(Namespaces.DEFAULT);
    Reply.RangeReply r =
        (Reply.RangeReply) await(namespaces.read(Namespaces.DEFAULT, Read.Range.key("k")));
    assertThat(r.count()).isEqualTo(1);
  }

  @Test
  void creatingTheNamespaceKeepsALeaderThatStartedAbsent() {
    awaitRegistryRecovered();
    ActorRef leader = startThroughRegion("late");
    assertThat(await(namespaces.create("late"))).isInstanceOf(Reply.NamespaceReply.class);

    TestKit probe = new TestKit(system);
    probe.watch(leader);
    probe.expectNoMessage(SEVERAL_IDLE);

    assertThat(LocalLeaders.get(system).get("late")).isSameAs(leader);
    assertThat(entities()).contains("late");
    assertThat(put("late")).isInstanceOf(Reply.PutReply.class);
  }

  @Test
  void deletingTheNamespaceLetsItsLeaderStop() {
    assertThat(await(namespaces.create("gone"))).isInstanceOf(Reply.NamespaceReply.class);
    ActorRef leader = leader("gone");
    assertThat(await(namespaces.delete("gone", false))).isInstanceOf(Reply.NamespaceReply.class);

    TestKit probe = new TestKit(system);
    probe.watch(leader);
    probe.expectTerminated(T, leader);
    awaitNoEntity("gone");
    assertNamespaceNotFound(put("gone"));
    assertThat(LocalLeaders.get(system).get("gone")).isNull();
  }

  @Test
  @Tag("passivate")
  void anIdleNamespaceStopsAndComesBackWithItsData() {
    assertThat(await(namespaces.create("idle"))).isInstanceOf(Reply.NamespaceReply.class);
    assertThat(put("idle")).isInstanceOf(Reply.PutReply.class);
    ActorRef leader = leader("idle");

    TestKit probe = new TestKit(system);
    probe.watch(leader);
    probe.expectTerminated(T, leader);
    awaitNoEntity("idle");

    Reply.RangeReply r = (Reply.RangeReply) await(namespaces.read("idle", Read.Range.key("k")));
    assertThat(r.count()).isEqualTo(1);
    assertThat(leader("idle")).isNotEqualTo(leader);
  }

  @Test
  @Tag("passivate")
  void anIdleNamespaceWithALeaseAndTheDefaultNamespaceStay() {
    assertThat(await(namespaces.create("leased"))).isInstanceOf(Reply.NamespaceReply.class);
    assertThat(await(namespaces.write("leased", new Command.GrantLease(0, 600))))
        .isInstanceOf(Reply.LeaseGrantReply.class);
    assertThat(put(Namespaces.DEFAULT)).isInstanceOf(Reply.PutReply.class);
    ActorRef leased = leader("leased");
    ActorRef defaultLeader = leader(Namespaces.DEFAULT);

    TestKit probe = new TestKit(system);
    probe.watch(leased);
    probe.watch(defaultLeader);
    probe.expectNoMessage(SEVERAL_IDLE);

    assertThat(LocalLeaders.get(system).get("leased")).isSameAs(leased);
    assertThat(LocalLeaders.get(system).get(Namespaces.DEFAULT)).isSameAs(defaultLeader);
  }
}
