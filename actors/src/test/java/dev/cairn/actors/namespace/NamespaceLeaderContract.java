package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's contract, written once and run against each journal: the in-memory one and the real
 * embedded forced journal.
 */
@Timeout(60)
abstract class NamespaceLeaderContract {
  private static final Duration T = Duration.ofSeconds(10);

  ActorSystem system;
  NamespaceSettings settings;
  int generation;

  /** A directory of this test's own, deleted after it, for journals and snapshots on files. */
  @TempDir Path dir;

  /** Journal and snapshot store configuration for this variant. */
  abstract Config journalConfig();

  @BeforeEach
  void start() {
    Config config =
        ConfigFactory.parseString(
                "cairn.replica.enabled = on\n"
                    + "cairn.replica.copy-piece-size = 64KiB\n"
                    + "cairn.namespace.snapshot-every = 25\n"
                    + "cairn.namespace.tick-interval = 50ms\n"
                    + "pekko.loglevel = WARNING\n")
            .withFallback(journalConfig())
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create("leader-test", config);
    settings = NamespaceSettings.fromConfig(system.settings().config());
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  ActorRef leader(String namespace) {
    // The actor's name is the namespace, as under Cluster Sharding; a new name per incarnation.
    ActorRef parent =
        system.actorOf(
            org.apache.pekko.actor.Props.create(
                Parent.class, () -> new Parent(NamespaceLeader.props(settings), namespace)),
            "p" + generation++);
    return ask(parent, "child", ActorRef.class);
  }

  static final class Parent extends org.apache.pekko.actor.AbstractActor {
    final ActorRef child;

    Parent(org.apache.pekko.actor.Props props, String name) {
      child = getContext().actorOf(props, name);
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().matchEquals("child", m -> getSender().tell(child, getSelf())).build();
    }
  }

  static <T> T ask(ActorRef ref, Object msg, Class<T> type) {
    try {
      return type.cast(
          Patterns.ask(ref, msg, T).toCompletableFuture().get(T.toMillis(), TimeUnit.MILLISECONDS));
    } catch (Exception e) {
      throw new AssertionError("no answer to " + msg, e);
    }
  }

  static Reply write(ActorRef leader, Command c) {
    return ask(leader, new NamespaceLeader.Write(c), Reply.class);
  }

  static Reply read(ActorRef leader, Read r) {
    return ask(leader, new NamespaceLeader.Query(r), Reply.class);
  }

  static Reply.StatusReply status(ActorRef leader) {
    return (Reply.StatusReply) read(leader, new Read.Status());
  }

  void restart(ActorRef leader) {
    TestKit probe = new TestKit(system);
    probe.watch(leader);
    leader.tell(PoisonPill.getInstance(), ActorRef.noSender());
    probe.expectTerminated(leader);
  }

  @Test
  void putThenReadSeesTheValueAtTheNextRevision() {
    ActorRef l = leader("default");
    Reply.PutReply p = (Reply.PutReply) write(l, Command.Put.of("a", "1"));
    assertThat(p.revision()).isEqualTo(1);
    Reply.RangeReply r = (Reply.RangeReply) read(l, Read.Range.key("a"));
    assertThat(r.kvs())
        .singleElement()
        .satisfies(kv -> assertThat(kv.value()).isEqualTo(Bytes.utf8("1")));
    assertThat(r.revision()).isEqualTo(1);
  }

  @Test
  void concurrentWritesGetDistinctGapFreeRevisions() throws Exception {
    ActorRef l = leader("default");
    int n = 500;
    List<CompletableFuture<Object>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(
          Patterns.ask(l, new NamespaceLeader.Write(Command.Put.of("k" + (i % 37), "v" + i)), T)
              .toCompletableFuture());
    }
    Set<Long> revisions = new HashSet<>();
    for (CompletableFuture<Object> f : fs) {
      revisions.add(((Reply.PutReply) f.get(10, TimeUnit.SECONDS)).revision());
    }
    assertThat(revisions).hasSize(n);
    assertThat(revisions.stream().mapToLong(Long::longValue).min().getAsLong()).isEqualTo(1);
    assertThat(revisions.stream().mapToLong(Long::longValue).max().getAsLong()).isEqualTo(n);
  }

  @Test
  void restartRecoversAnEqualStateFromSnapshotAndTail() {
    ActorRef l = leader("default");
    for (int i = 0; i < 60; i++) {
      write(l, Command.Put.of("k" + (i % 7), "v" + i));
    }
    write(l, new Command.GrantLease(0, 60));
    write(l, Command.Delete.prefix("k1"));
    Reply.StatusReply before = status(l);
    restart(l);
    ActorRef again = leader("default");
    Reply.StatusReply after = status(again);
    assertThat(after.revision()).isEqualTo(before.revision());
    assertThat(after.digest()).isEqualTo(before.digest());
    Reply.PutReply next = (Reply.PutReply) write(again, Command.Put.of("x", "y"));
    assertThat(next.revision()).isEqualTo(before.revision() + 1);
  }

  @Test
  void anUncreatedNamespaceRefusesWritesUntilCreated() {
    ActorRef l = leader("team");
    Reply r = write(l, Command.Put.of("a", "1"));
    assertThat(r).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) r).code()).isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
    assertThat(write(l, new Command.CreateNamespace())).isInstanceOf(Reply.NamespaceReply.class);
    assertThat(write(l, Command.Put.of("a", "1"))).isInstanceOf(Reply.PutReply.class);
  }

  @Test
  void anExpiredLeaseDeletesItsKeysWithoutAnyClientCommand() {
    ActorRef l = leader("default");
    long id = ((Reply.LeaseGrantReply) write(l, new Command.GrantLease(0, 1))).id();
    write(l, new Command.Put("eph", Bytes.utf8("x"), id, false));
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (((Reply.RangeReply) read(l, Read.Range.key("eph"))).count() > 0) {
      assertThat(System.nanoTime()).as("key gone within TTL + 2 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
    assertThat(ask(l, new NamespaceLeader.KeepAlive(id), Reply.Rejected.class).code())
        .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
  }

  @Test
  void keepAliveExtendsALease() {
    ActorRef l = leader("default");
    long id = ((Reply.LeaseGrantReply) write(l, new Command.GrantLease(0, 1))).id();
    long end = System.nanoTime() + Duration.ofMillis(2500).toNanos();
    while (System.nanoTime() < end) {
      assertThat(ask(l, new NamespaceLeader.KeepAlive(id), Object.class))
          .isInstanceOf(Reply.KeepAliveReply.class);
      new TestKit(system).expectNoMessage(Duration.ofMillis(200));
    }
    assertThat(ask(l, new NamespaceLeader.LeaseTimeToLive(id), Object.class))
        .isInstanceOf(Reply.LeaseStatusReply.class);
  }

  @Test
  void aSubscriptionSeesHistoryThenLiveChangesWithoutGapOrDuplicate() {
    ActorRef l = leader("default");
    for (int i = 0; i < 10; i++) {
      write(l, Command.Put.of("w/" + i, "v" + i));
    }
    write(l, Command.Put.of("other", "x"));
    TestKit sub = new TestKit(system);
    l.tell(
        new NamespaceLeader.Subscribe(7, "w/", KeyRange.prefixEnd("w/"), 3, sub.getRef()),
        sub.getRef());
    List<Long> seen = new ArrayList<>();
    WatchHub.Deliveries first = sub.expectMsgClass(T, WatchHub.Deliveries.class);
    first.deliveries().forEach(d -> d.events().forEach(e -> seen.add(e.revision())));
    for (int i = 10; i < 15; i++) {
      write(l, Command.Put.of("w/" + i, "v" + i));
    }
    while (seen.size() < 8 + 5) {
      WatchHub.Deliveries d = sub.expectMsgClass(T, WatchHub.Deliveries.class);
      for (WatchHub.Delivery one : d.deliveries()) {
        assertThat(one.watchIds()).containsExactly(7L);
        for (WatchEvent e : one.events()) {
          assertThat(e.kv().key()).startsWith("w/");
          seen.add(e.revision());
        }
      }
    }
    List<Long> expected = new ArrayList<>();
    for (long r = 3; r <= 10; r++) {
      expected.add(r);
    }
    for (long r = 12; r <= 16; r++) {
      expected.add(r);
    }
    assertThat(seen).containsExactlyElementsOf(expected);
  }

  @Test
  void aFailedHubRestartsTheLeaderSoItsSubscribersSeeTheHubStop() {
    ActorRef l = leader("default");
    write(l, Command.Put.of("h", "1"));
    TestKit sub = new TestKit(system);
    l.tell(new NamespaceLeader.Subscribe(1, "h", null, 0, sub.getRef()), sub.getRef());
    sub.expectMsgClass(T, WatchHub.Deliveries.class);
    ActorRef hub = sub.getLastSender();
    sub.watch(hub);

    // A registration without a subscriber makes the hub throw.
    hub.tell(new WatchHub.Register(null, 2, "x", null, 1, List.of()), ActorRef.noSender());
    sub.expectTerminated(T, hub);

    assertThat(write(l, Command.Put.of("h", "2")).revision()).isEqualTo(2);
    l.tell(new NamespaceLeader.Subscribe(1, "h", null, 0, sub.getRef()), sub.getRef());
    sub.expectMsgClass(T, WatchHub.Deliveries.class);
    assertThat(sub.getLastSender()).as("a fresh hub").isNotEqualTo(hub);
  }

  @Test
  void aSubscriptionBeforeTheCompactionPointIsRefused() {
    ActorRef l = leader("default");
    for (int i = 0; i < 5; i++) {
      write(l, Command.Put.of("c", "v" + i));
    }
    write(l, new Command.Compact(4));
    TestKit sub = new TestKit(system);
    l.tell(new NamespaceLeader.Subscribe(1, "c", null, 2, sub.getRef()), sub.getRef());
    NamespaceLeader.WatchCompacted c = sub.expectMsgClass(T, NamespaceLeader.WatchCompacted.class);
    assertThat(c.compactRevision()).isEqualTo(4);
  }

  @Test
  void aReplicaGetsTheEventsItLacksThenEveryCommittedEventOnceInOrder() {
    ActorRef l = leader("default");
    for (int i = 0; i < 3; i++) {
      write(l, Command.Put.of("r", "v" + i));
    }
    TestKit replica = new TestKit(system);
    l.tell(new NamespaceLeader.Replicate(2, replica.getRef()), replica.getRef());
    NamespaceLeader.ReplicaSync sync = replica.expectMsgClass(T, NamespaceLeader.ReplicaSync.class);
    assertThat(sync.revision()).isEqualTo(3);
    assertThat(sync.copyParts()).as("the leader still holds the events").isZero();
    for (long revision = 2; revision <= 3; revision++) {
      assertThat(replica.expectMsgClass(T, NamespaceLeader.Replicated.class).event().revision())
          .isEqualTo(revision);
    }
    // Asked again (e.g. an answer was slow): registered once all the same.
    l.tell(new NamespaceLeader.Replicate(4, replica.getRef()), replica.getRef());
    assertThat(replica.expectMsgClass(T, NamespaceLeader.ReplicaSync.class).copyParts()).isZero();
    write(l, Command.Put.of("r", "v3"));
    write(l, Command.Put.of("r", "v4"));
    assertThat(replica.expectMsgClass(T, NamespaceLeader.Replicated.class).event().revision())
        .isEqualTo(4);
    assertThat(replica.expectMsgClass(T, NamespaceLeader.Replicated.class).event().revision())
        .isEqualTo(5);
    replica.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aReplicaFromScratchGetsACopyOfTheStateInPiecesSmallEnoughForOneMessageEach() {
    ActorRef l = leader("default");
    String big = "x".repeat(20_000);
    for (int i = 0; i < 12; i++) {
      write(l, Command.Put.of("big" + (i % 2), big + i));
    }
    TestKit fresh = new TestKit(system);
    l.tell(new NamespaceLeader.Replicate(0, fresh.getRef()), fresh.getRef());
    NamespaceLeader.ReplicaSync sync = fresh.expectMsgClass(T, NamespaceLeader.ReplicaSync.class);
    assertThat(sync.copyParts()).as("about 240 KB in pieces of 64 KB").isGreaterThan(3);
    List<dev.cairn.core.keyspace.KeyspaceSnapshot> pieces = new ArrayList<>();
    for (int i = 0; i < sync.copyParts(); i++) {
      NamespaceLeader.ReplicaCopy c = fresh.expectMsgClass(T, NamespaceLeader.ReplicaCopy.class);
      assertThat(c.part()).isEqualTo(i);
      pieces.add(c.piece());
    }
    assertThat(
            dev.cairn.core.keyspace.KeyspaceState.fromSnapshot(ReplicaCopies.join(pieces)).digest())
        .isEqualTo(status(l).digest());
  }

  @Test
  void everyRequestTypeIsHandled() {
    ActorRef l = leader("default");
    write(l, new Command.GrantLease(7, 60));
    TestKit sub = new TestKit(system);
    List<NamespaceLeader.Request> requests = ProtocolSamples.requests(sub.getRef());
    assertThat(requests.stream().map(Object::getClass).toList())
        .containsExactlyInAnyOrderElementsOf(
            ProtocolSamples.concrete(NamespaceLeader.Request.class));
    for (NamespaceLeader.Request r : requests) {
      if (r instanceof NamespaceLeader.Ask<?> a) {
        assertThat(ask(l, a, Object.class)).as("%s", a).isInstanceOf(a.replyType());
      } else if (r instanceof NamespaceLeader.Subscribe s) {
        l.tell(s, ActorRef.noSender());
        sub.expectMsgClass(T, WatchHub.Deliveries.class);
      } else if (r instanceof NamespaceLeader.Unsubscribe u) {
        l.tell(u, ActorRef.noSender());
        // Unsubscribed: a write no longer reaches the subscriber, only the progress after it.
        write(l, Command.Put.of("a/x", "1"));
        l.tell(new NamespaceLeader.WatchProgress(sub.getRef()), ActorRef.noSender());
        sub.expectMsgClass(T, WatchHub.Progress.class);
      } else if (r instanceof NamespaceLeader.WatchProgress p) {
        l.tell(p, ActorRef.noSender());
        sub.expectMsgClass(T, WatchHub.Progress.class);
      } else if (r instanceof NamespaceLeader.Replicate rep) {
        l.tell(rep, ActorRef.noSender());
        sub.expectMsgClass(T, NamespaceLeader.ReplicaSync.class);
      } else {
        throw new IllegalStateException("unhandled " + r);
      }
    }
  }
}
