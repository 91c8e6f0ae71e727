package dev.cairn.actors.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.namespace.OneNode;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node's replica on a one-node cluster (the leader on the same node, so its stops are easy to
 * cause): it applies the committed events in order, answers serializable reads with the leader's
 * state, and its watches go on across leader stops with no gap and no duplicate, whether it catches
 * up from the events the new leader recovered or from a copy of its whole state.
 */
@Timeout(120)
class NamespaceReplicaTest {
  private static final Duration T = Duration.ofSeconds(30);

  ActorSystem system;
  Namespaces namespaces;
  Replicas replicas;

  void start(int leaderRecentEvents) throws Exception {
    start(leaderRecentEvents, Duration.ofMillis(100));
  }

  void start(int leaderRecentEvents, Duration afterLeaderStop) throws Exception {
    start(leaderRecentEvents, afterLeaderStop, "");
  }

  void start(int leaderRecentEvents, Duration afterLeaderStop, String extra) throws Exception {
    Config config =
        OneNode.config(
            extra
                + "\ncairn.replica.enabled = on\n"
                + "cairn.replica.leader-recent-events = "
                + leaderRecentEvents
                + "\n"
                + "cairn.replica.resync-after = 500ms\n"
                + "cairn.replica.after-leader-stop = "
                + afterLeaderStop.toMillis()
                + "ms\n"
                + "pekko.actor.serialize-messages = on\n");
    system = ActorSystem.create("replica-test", config);
    OneNode.join(system, T);
    namespaces = Namespaces.start(system);
    replicas = Replicas.startIfEnabled(system, namespaces);
  }

  @AfterEach
  void stop() {
    if (system != null) {
      TestKit.shutdownActorSystem(system);
    }
  }

  static <R> R await(CompletionStage<R> stage) {
    try {
      return stage.toCompletableFuture().get(T.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20); // polling a condition, not synchronising
    }
  }

  long put(String key, String value) {
    Reply r = await(namespaces.write(Namespaces.DEFAULT, Command.Put.of(key, value)));
    assertThat(r).isInstanceOf(Reply.PutReply.class);
    return r.revision();
  }

  Reply.StatusReply status(boolean serializable) {
    CompletionStage<Reply> r =
        serializable
            ? namespaces.readSerializable(Namespaces.DEFAULT, new Read.Status())
            : namespaces.read(Namespaces.DEFAULT, new Read.Status());
    return (Reply.StatusReply) await(r);
  }

  /** The replica reaches the leader's revision and then holds the same state. */
  void awaitSameState() throws InterruptedException {
    long revision = status(false).revision();
    awaitTrue(
        "the replica reaches revision " + revision, () -> status(true).revision() >= revision);
    Reply.StatusReply leader = status(false);
    Reply.StatusReply replica = status(true);
    assertThat(replica.revision()).isEqualTo(leader.revision());
    assertThat(replica.digest()).isEqualTo(leader.digest());
  }

  void stopLeader() throws Exception {
    ActorRef leader =
        await(
            system
                .actorSelection("/system/sharding/" + Namespaces.SHARD_TYPE + "/*/default")
                .resolveOne(T));
    TestKit probe = new TestKit(system);
    probe.watch(leader);
    leader.tell(PoisonPill.getInstance(), ActorRef.noSender());
    probe.expectTerminated(T, leader);
    // A request the shard hands the stopped leader before it has seen it stop is lost (the caller
    // times out, as after any leader stop): reads, which may be repeated, until the next answers.
    long deadline = System.nanoTime() + T.toNanos();
    while (true) {
      try {
        namespaces
            .read(Namespaces.DEFAULT, new Read.Status())
            .toCompletableFuture()
            .get(T.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.ExecutionException timedOut) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no leader answers after the stop", timedOut);
        }
      }
    }
  }

  /** A watch of everything, registered through Namespaces (i.e. with the replica). */
  static final class Watcher {
    final TestKit probe;
    final List<Long> revisions = new ArrayList<>();
    ActorRef hub;

    Watcher(ActorSystem system, Namespaces namespaces) {
      probe = new TestKit(system);
      namespaces.tell(
          Namespaces.DEFAULT,
          new NamespaceLeader.Subscribe(1, "", "", 1, probe.getRef()),
          probe.getRef());
    }

    /** Takes deliveries until revision {@code until}; returns false if the hub stopped. */
    boolean receiveUntil(long until) {
      while (revisions.isEmpty() || revisions.get(revisions.size() - 1) < until) {
        Object m = probe.receiveOne(T);
        if (m == null) {
          throw new AssertionError("no delivery within " + T + " after " + revisions);
        }
        if (m instanceof Terminated) {
          return false;
        }
        if (m instanceof WatchHub.Deliveries d) {
          if (hub == null) {
            hub = probe.getLastSender();
            probe.watch(hub);
          }
          for (WatchHub.Delivery delivery : d.deliveries()) {
            for (WatchEvent e : delivery.events()) {
              revisions.add(e.revision());
            }
          }
        } else if (!(m instanceof WatchHub.Progress)) {
          throw new AssertionError("unexpected " + m);
        }
      }
      return true;
    }
  }

  @Test
  void replicasAreLargeMessageDestinationsSoThatLargeValuesReachThem() {
    // An event with a value above Artery's ordinary 256 KiB frame would be dropped on its way.
    assertThat(ConfigFactory.load().getStringList("pekko.remote.artery.large-message-destinations"))
        .contains("/user/replica-*");
    assertThat(
            ConfigFactory.load().getBytes("pekko.remote.artery.advanced.maximum-large-frame-size"))
        .isGreaterThan(ConfigFactory.load().getBytes("cairn.limits.max-value-size") + 64 * 1024);
  }

  /** The actor of this node's replica of {@code namespace}, once it has been started. */
  ActorRef replicaActor(String namespace) {
    return await(system.actorSelection("/user/replica-" + namespace + "-*").resolveOne(T));
  }

  @Test
  void aDeletedNamespacesReplicaEndsItsWatchesAndStopsAndARecreatedOneGetsAFreshReplica()
      throws Exception {
    start(4096);
    assertThat(await(namespaces.create("gone"))).isInstanceOf(Reply.NamespaceReply.class);
    assertThat(await(namespaces.write("gone", Command.Put.of("a", "1"))))
        .isInstanceOf(Reply.PutReply.class);
    awaitTrue(
        "the replica of gone serves a",
        () ->
            await(namespaces.readSerializable("gone", Read.Range.key("a")))
                    instanceof Reply.RangeReply r
                && r.kvs().size() == 1);
    assertThat(replicas.namespaces()).contains("gone");
    ActorRef replica = replicaActor("gone");
    TestKit watcher = new TestKit(system);
    namespaces.tell(
        "gone", new NamespaceLeader.Subscribe(7, "", "", 1, watcher.getRef()), watcher.getRef());
    watcher.expectMsgClass(T, WatchHub.Deliveries.class);
    TestKit probe = new TestKit(system);
    probe.watch(replica);

    assertThat(await(namespaces.delete("gone", true))).isInstanceOf(Reply.NamespaceReply.class);

    WatchHub.Ended ended = watcher.expectMsgClass(T, WatchHub.Ended.class);
    assertThat(ended.reason()).contains("deleted");
    probe.expectTerminated(T, replica);
    assertThat(replicas.namespaces()).doesNotContain("gone");
    // A read naming it now is answered (not found), by a replica that leaves again.
    Reply absent = await(namespaces.readSerializable("gone", Read.Range.key("a")));
    assertThat(absent).isInstanceOf(Reply.Rejected.class);

    assertThat(await(namespaces.create("gone"))).isInstanceOf(Reply.NamespaceReply.class);
    assertThat(await(namespaces.write("gone", Command.Put.of("b", "2"))))
        .isInstanceOf(Reply.PutReply.class);
    awaitTrue(
        "a fresh replica of the re-created gone serves b",
        () ->
            await(namespaces.readSerializable("gone", Read.Range.key("b")))
                    instanceof Reply.RangeReply r
                && r.kvs().size() == 1);
  }

  @Test
  void theReplicaOfANamespaceThatDoesNotExistStopsWithItsLeader() throws Exception {
    start(
        4096,
        Duration.ofMillis(100),
        "cairn.namespace.absent-idle = 300ms\ncairn.namespace.cluster-registry = on");
    Reply absent = await(namespaces.readSerializable("never", Read.Range.key("a")));
    assertThat(absent).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) absent).code().wire()).isEqualTo("namespace_not_found");
    awaitTrue("the replica of never is gone", () -> !replicas.namespaces().contains("never"));
    assertThat(replicas.namespaces()).contains(Namespaces.DEFAULT);
  }

  @Test
  void serializableReadsAndStatusComeFromTheReplicaWithTheLeadersDigest() throws Exception {
    start(4096);
    for (int i = 0; i < 20; i++) {
      put("k" + (i % 5), "v" + i);
    }
    awaitSameState();
    Reply.RangeReply r =
        (Reply.RangeReply)
            await(namespaces.readSerializable(Namespaces.DEFAULT, Read.Range.key("k4")));
    assertThat(r.kvs().get(0).value()).isEqualTo(Bytes.utf8("v19"));
  }

  @Test
  void aCopyOfTheReplicasStateIsTheLeadersStateAtTheSameRevision() throws Exception {
    start(4096);
    assertThat(await(replicas.stateCopy("not-kept-here"))).isEmpty();
    for (int i = 0; i < 30; i++) {
      put("k" + (i % 7), "v" + i);
    }
    awaitSameState();
    Reply.StatusReply leader = status(false);
    KeyspaceSnapshot copy = await(replicas.stateCopy(Namespaces.DEFAULT)).orElseThrow();
    assertThat(copy.revision()).isEqualTo(leader.revision());
    assertThat(KeyspaceState.fromSnapshot(copy).digest()).isEqualTo(leader.digest());
    assertThat(Replicas.of(system)).isSameAs(replicas);
  }

  @Test
  void aWatchOnTheReplicaGoesOnAcrossLeaderStopsWithNoGapAndNoDuplicate() throws Exception {
    start(4096);
    Watcher w = new Watcher(system, namespaces);
    long last = 0;
    List<Long> written = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 10; i++) {
        last = put("k" + i, "r" + round);
        written.add(last);
      }
      assertThat(w.receiveUntil(last)).as("the replica's hub goes on").isTrue();
      stopLeader();
    }
    last = put("after", "x");
    written.add(last);
    assertThat(w.receiveUntil(last)).isTrue();
    assertThat(w.revisions).isEqualTo(written);
    awaitSameState();
    assertThat(replicas.fullCopies.get()).as("caught up from events, not copies").isZero();
  }

  @Test
  void aReplicaFurtherBehindThanTheLeaderKeepsTakesACopyAndItsWatchesResumeFromHistory()
      throws Exception {
    // The new leader keeps 2 events; the replica asks it only 5 s after the old one stopped, by
    // which time it has written 5.
    start(2, Duration.ofSeconds(5));
    Watcher w = new Watcher(system, namespaces);
    long last = 0;
    List<Long> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      last = put("k" + i, "a");
      written.add(last);
    }
    assertThat(w.receiveUntil(last)).isTrue();
    stopLeader();
    for (int i = 0; i < 5; i++) {
      last = put("m" + i, "b");
      written.add(last);
    }
    assertThat(w.receiveUntil(last)).as("the hub is replaced with the state").isFalse();
    assertThat(replicas.fullCopies.get()).isEqualTo(1);
    awaitSameState();
    // As a watch connection does when its hub stops: again, from the revision after its last.
    long resume = w.revisions.get(w.revisions.size() - 1) + 1;
    w.hub = null;
    namespaces.tell(
        Namespaces.DEFAULT,
        new NamespaceLeader.Subscribe(2, "", "", resume, w.probe.getRef()),
        w.probe.getRef());
    assertThat(w.receiveUntil(last)).isTrue();
    assertThat(w.revisions).isEqualTo(written);
  }
}
