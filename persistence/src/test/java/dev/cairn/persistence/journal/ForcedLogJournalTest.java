package dev.cairn.persistence.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.cairn.persistence.TestMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal plugin driven by real persistent actors. */
class ForcedLogJournalTest {

  private static final String PLUGIN = "cairn.persistence.journal";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private final List<ActorSystem> systems = new ArrayList<>();

  @BeforeEach
  void setUp() {
    TestMetrics.install();
  }

  @AfterEach
  void tearDown() {
    systems.forEach(TestKit::shutdownActorSystem);
  }

  private Config config(boolean fsync) {
    return ConfigFactory.parseString(
            """
                pekko.persistence.journal.plugin = "cairn.persistence.journal"
                pekko.persistence.snapshot-store.plugin = "cairn.persistence.snapshot-store"
                """)
        .withValue(
            "cairn.persistence.journal.dir",
            ConfigValueFactory.fromAnyRef(dir.resolve("j").toString()))
        .withValue("cairn.persistence.journal.fsync", ConfigValueFactory.fromAnyRef(fsync))
        .withValue(
            "cairn.persistence.snapshot-store.dir",
            ConfigValueFactory.fromAnyRef(dir.resolve("s").toString()))
        .withFallback(ConfigFactory.load());
  }

  /** Starts an ActorSystem; the previous one must have terminated so the journal lock is free. */
  private ActorSystem start(boolean fsync) {
    ActorSystem system = ActorSystem.create("journal-test", config(fsync));
    systems.add(system);
    return system;
  }

  private static void stop(ActorSystem system) {
    TestKit.shutdownActorSystem(system, scala.concurrent.duration.Duration.create(30, "s"), true);
  }

  private static Recorder.State state(ActorSystem system, String pid) {
    TestKit probe = new TestKit(system);
    ActorRef recorder = system.actorOf(Recorder.props(pid));
    recorder.tell(new Recorder.Get(), probe.getRef());
    return probe.expectMsgClass(TIMEOUT, Recorder.State.class);
  }

  @Test
  void concurrentPersistentActorsShareForcesAndEverythingReplays() {
    int actors = 16;
    int perActor = 40;
    double forcesBefore = TestMetrics.forces(PLUGIN);
    DistributionSummary batches = TestMetrics.batchEvents(PLUGIN);
    long groupsBefore = batches == null ? 0 : batches.count();

    ActorSystem system = start(true);
    TestKit probe = new TestKit(system);
    List<ActorRef> recorders =
        IntStream.range(0, actors)
            .mapToObj(i -> system.actorOf(Recorder.props("writer-" + i)))
            .toList();
    recorders.forEach(r -> r.tell(new Recorder.Run(perActor), probe.getRef()));
    for (int i = 0; i < actors; i++) {
      probe.expectMsgEquals(TIMEOUT, "done");
    }
    stop(system);

    long writes = (long) actors * perActor;
    double forces = TestMetrics.forces(PLUGIN) - forcesBefore;
    long groups = TestMetrics.batchEvents(PLUGIN).count() - groupsBefore;
    assertThat(forces)
        .as("forced writes for %d single-event writes in %d groups", writes, groups)
        .isPositive()
        .isLessThan(writes / 2.0);
    assertThat(groups).isLessThan(writes / 2);

    ActorSystem again = start(true);
    for (int i = 0; i < actors; i++) {
      String pid = "writer-" + i;
      Recorder.State s = state(again, pid);
      assertThat(s.lastSequenceNr()).isEqualTo(perActor);
      assertThat(s.events())
          .hasSize(perActor)
          .startsWith(pid + "/1")
          .endsWith(pid + "/" + perActor);
    }
  }

  @Test
  void eventAndDeferredHandlersRunInOrderWhileWritesFollowEachOtherClosely() {
    // The journal answers writes from its writer thread and answers a write of deferred handlers
    // only at once. The actor sends its next write as soon as it hears WriteMessagesSuccessful,
    // so that next write's answers must not overtake the rest of the previous one's.
    ActorSystem system = start(false);
    TestKit probe = new TestKit(system);
    ActorRef actor = system.actorOf(Interleaver.props("interleaved"));
    // Rounds of a write of many events, then deferred handlers sent while it is in flight: they
    // make the actor's next write, one of deferred handlers only, answered at once.
    int n = 0;
    for (int round = 0; round < 300; round++) {
      List<String> expected = new ArrayList<>();
      actor.tell(new Interleaver.Persist(n, 200), ActorRef.noSender());
      for (int i = 0; i < 200; i++) {
        expected.add("event handler got e" + n++);
      }
      actor.tell(new Interleaver.Defer(n), ActorRef.noSender());
      expected.add("deferred handler got d" + n++);
      // Waits for the round, so that the next one's events are a write of their own.
      actor.tell(new Interleaver.Get(), probe.getRef());
      Interleaver.Handled h = probe.expectMsgClass(TIMEOUT, Interleaver.Handled.class);
      assertThat(h.handled()).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void aRejectedWriteInTheMiddleOfACallLeavesNoGapAndRecoveryContinues() {
    ActorSystem system = start(true);
    TestKit probe = new TestKit(system);
    ActorRef burster = system.actorOf(Burster.props("gap"));
    Object notSerializable =
        new Object() {
          @Override
          public String toString() {
            return "not serializable";
          }
        };
    burster.tell(new Burster.Burst(List.of("a", "b", notSerializable, "d", "e")), probe.getRef());
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      outcomes.add(probe.expectMsgClass(TIMEOUT, String.class));
    }
    assertThat(outcomes)
        .containsExactlyInAnyOrder(
            "stored:1", "stored:2", "rejected:3", "rejected:4", "rejected:5");
    stop(system);

    ActorSystem second = start(true);
    Recorder.State recovered = state(second, "gap");
    assertThat(recovered.events()).containsExactly("a", "b");
    assertThat(recovered.lastSequenceNr()).as("no gap in the journal").isEqualTo(2);
    TestKit probe2 = new TestKit(second);
    ActorRef recorder = second.actorOf(Recorder.props("gap"));
    recorder.tell("c-again", probe2.getRef());
    probe2.expectMsgEquals(TIMEOUT, 3L);
    stop(second);

    ActorSystem third = start(true);
    Recorder.State again = state(third, "gap");
    assertThat(again.events()).containsExactly("a", "b", "c-again");
    assertThat(again.lastSequenceNr()).isEqualTo(3);
  }

  @Test
  void aSecondWriterOfOnePersistenceIdIsRefusedAndStopsWhileTheFirstKeepsItsEvents() {
    ActorSystem system = start(true);
    TestKit probe = new TestKit(system);
    ActorRef winner = system.actorOf(Recorder.props("contested"));
    ActorRef loser = system.actorOf(Recorder.props("contested"));
    for (ActorRef r : List.of(winner, loser)) {
      r.tell(new Recorder.Get(), probe.getRef());
      assertThat(probe.expectMsgClass(TIMEOUT, Recorder.State.class).lastSequenceNr()).isZero();
    }
    winner.tell("w1", probe.getRef());
    probe.expectMsgEquals(TIMEOUT, 1L);
    probe.watch(loser);
    loser.tell("stale-1", probe.getRef());
    probe.expectTerminated(TIMEOUT, loser);
    winner.tell("w2", probe.getRef());
    probe.expectMsgEquals(TIMEOUT, 2L);
    winner.tell("w3", probe.getRef());
    probe.expectMsgEquals(TIMEOUT, 3L);
    stop(system);

    ActorSystem second = start(true);
    Recorder.State recovered = state(second, "contested");
    assertThat(recovered.events()).containsExactly("w1", "w2", "w3");
    assertThat(recovered.lastSequenceNr()).isEqualTo(3);
  }

  @Test
  void tornTailIsDroppedAndTheActorContinuesAtTheRightSequenceNr() throws Exception {
    ActorSystem system = start(true);
    TestKit probe = new TestKit(system);
    ActorRef recorder = system.actorOf(Recorder.props("torn"));
    for (int i = 1; i <= 5; i++) {
      recorder.tell("event-" + i, probe.getRef());
      probe.expectMsgEquals(TIMEOUT, (long) i);
    }
    stop(system);

    // the lock was released in postStop: the directory opens directly, and is closed again
    JournalSettings direct = JournalSettings.defaults(dir.resolve("j")).withName("torn-check");
    ForcedLog.open(direct).close();
    Path segment = dir.resolve("j").resolve(Segment.fileName(1));
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 4);
    }

    ActorSystem second = start(true);
    Recorder.State recovered = state(second, "torn");
    assertThat(recovered.events()).containsExactly("event-1", "event-2", "event-3", "event-4");
    assertThat(recovered.lastSequenceNr()).isEqualTo(4);
    TestKit probe2 = new TestKit(second);
    ActorRef torn = second.actorOf(Recorder.props("torn"));
    torn.tell("event-5-again", probe2.getRef());
    probe2.expectMsgEquals(TIMEOUT, 5L);
    stop(second);

    ActorSystem third = start(true);
    assertThat(state(third, "torn").events())
        .containsExactly("event-1", "event-2", "event-3", "event-4", "event-5-again");
  }

  @Test
  void aDamagedJournalFailsThePluginStartWithTheReason() throws Exception {
    JournalSettings direct = JournalSettings.defaults(dir.resolve("j")).withName("damage-check");
    long second;
    try (ForcedLog log = ForcedLog.open(direct)) {
      List<ForcedLog.EncodedWrite> writes = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        writes.add(
            ForcedLog.encode(
                new ForcedLog.Write("p", List.of(new ForcedLog.Event(i, new byte[32])))));
      }
      log.append(writes).get();
      second = LogFormat.SEGMENT_HEADER_SIZE + writes.get(0).frame().length;
    }
    Path segment = dir.resolve("j").resolve(Segment.fileName(1));
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x7f, 0x7f}), second + 20);
    }

    ActorSystem system = start(true);
    TestKit probe = new TestKit(system);
    system.getEventStream().subscribe(probe.getRef(), Logging.Error.class);
    Persistence.get(system).journalFor(PLUGIN, ConfigFactory.empty());
    Logging.Error error = probe.expectMsgClass(TIMEOUT, Logging.Error.class);
    Throwable root = error.cause();
    while (root.getCause() != null) {
      root = root.getCause();
    }
    assertThat(root)
        .isInstanceOf(JournalCorruptedException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("corrupt at offset " + second);
  }

  @Test
  void fsyncOffIsAnnouncedWithAWarning() {
    ActorSystem system = start(false);
    TestKit probe = new TestKit(system);
    system.getEventStream().subscribe(probe.getRef(), Logging.Warning.class);
    Persistence.get(system).journalFor(PLUGIN, ConfigFactory.empty());
    Logging.Warning warning = probe.expectMsgClass(TIMEOUT, Logging.Warning.class);
    assertThat(String.valueOf(warning.message())).contains("fsync = off");
  }
}
