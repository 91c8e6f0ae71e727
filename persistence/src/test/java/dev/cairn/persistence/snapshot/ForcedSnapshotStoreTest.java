package dev.cairn.persistence.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.cairn.persistence.LogCapture;
import dev.cairn.persistence.SmallFilesystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ForcedSnapshotStoreTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private ActorSystem system;
  private ActorRef store;
  private TestKit probe;
  private TestKit warnings;

  @BeforeEach
  void setUp() {
    Config config =
        ConfigFactory.parseString(
                "pekko.persistence.snapshot-store.plugin = \"cairn.persistence.snapshot-store\"")
            .withValue(
                "cairn.persistence.snapshot-store.dir",
                ConfigValueFactory.fromAnyRef(dir.toString()))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create("snapshot-test", config);
    probe = new TestKit(system);
    warnings = new TestKit(system);
    system.getEventStream().subscribe(warnings.getRef(), Logging.Warning.class);
    store =
        Persistence.get(system)
            .snapshotStoreFor("cairn.persistence.snapshot-store", ConfigFactory.empty());
  }

  @AfterEach
  void tearDown() {
    TestKit.shutdownActorSystem(system);
  }

  private SnapshotMetadata save(String pid, long seq, Object snapshot) {
    store.tell(
        new SnapshotProtocol.SaveSnapshot(new SnapshotMetadata(pid, seq, 0L), snapshot),
        probe.getRef());
    return probe.expectMsgClass(TIMEOUT, SaveSnapshotSuccess.class).metadata();
  }

  private Object loadLatest(String pid) {
    store.tell(
        new SnapshotProtocol.LoadSnapshot(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE),
        probe.getRef());
    return probe.expectMsgAnyClassOf(
        TIMEOUT,
        SnapshotProtocol.LoadSnapshotResult.class,
        SnapshotProtocol.LoadSnapshotFailed.class);
  }

  private Optional<SelectedSnapshot> latest(String pid) {
    Object reply = loadLatest(pid);
    assertThat(reply).isInstanceOf(SnapshotProtocol.LoadSnapshotResult.class);
    scala.Option<SelectedSnapshot> s = ((SnapshotProtocol.LoadSnapshotResult) reply).snapshot();
    return s.isDefined() ? Optional.of(s.get()) : Optional.empty();
  }

  private Path fileOf(SnapshotMetadata md) {
    return dir.resolve(
        new SnapshotFile.Name(
                SnapshotFile.encodePid(md.persistenceId()), md.sequenceNr(), md.timestamp())
            .fileName());
  }

  @Test
  void corruptNewestSnapshotIsSkippedWithAWarningAndTheOlderOneLoads() throws Exception {
    save("p", 10, "state-at-10");
    SnapshotMetadata newest = save("p", 20, "state-at-20");
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains("state-at-20");

    flipByte(fileOf(newest), Files.size(fileOf(newest)) / 2);

    Optional<SelectedSnapshot> loaded = latest("p");
    assertThat(loaded).map(SelectedSnapshot::snapshot).contains("state-at-10");
    assertThat(loaded.get().metadata().sequenceNr()).isEqualTo(10);
    Logging.Warning warning = warnings.expectMsgClass(TIMEOUT, Logging.Warning.class);
    assertThat(String.valueOf(warning.message()))
        .contains(fileOf(newest).toString())
        .contains("CRC mismatch");
  }

  @Test
  void aSnapshotOfSeveralWriteSlicesRoundTripsAndItsCrcCoversTheSnapshotsOwnBytes()
      throws Exception {
    String small = "s".repeat(100);
    StringBuilder big = new StringBuilder();
    Random random = new Random(7);
    while (big.length() < 3 * (1 << 20) + 17) {
      big.append((char) ('a' + random.nextInt(26)));
    }
    save("p", 10, small);
    SnapshotMetadata newest = save("p", 20, big.toString());
    assertThat(Files.size(fileOf(newest))).isGreaterThan(big.length());
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains(big.toString());

    flipByte(fileOf(newest), Files.size(fileOf(newest)) - 1 - (1 << 20));
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains(small);
  }

  @Test
  void loadFailsWhenEveryAttemptedSnapshotIsUnreadable() throws Exception {
    SnapshotMetadata only = save("p", 10, "state-at-10");
    try (FileChannel ch = FileChannel.open(fileOf(only), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1);
    }
    Object reply = loadLatest("p");
    assertThat(reply).isInstanceOf(SnapshotProtocol.LoadSnapshotFailed.class);
    assertThat(((SnapshotProtocol.LoadSnapshotFailed) reply).cause())
        .hasMessageContaining("no readable snapshot for [p]");
  }

  @Test
  void awkwardPersistenceIdsRoundTripAndDoNotCollide() {
    List<String> pids =
        List.of("a", "a-b", "a-1", "x/y z", "ünïcødé", "..", "q".repeat(400), "q".repeat(401));
    for (int i = 0; i < pids.size(); i++) {
      save(pids.get(i), 5, "snap-" + i);
    }
    for (int i = 0; i < pids.size(); i++) {
      Optional<SelectedSnapshot> s = latest(pids.get(i));
      assertThat(s).as(pids.get(i)).map(SelectedSnapshot::snapshot).contains("snap-" + i);
      assertThat(s.get().metadata().persistenceId()).isEqualTo(pids.get(i));
    }
    assertThat(latest("a-")).isEmpty();
  }

  @Test
  @Timeout(60)
  void aSnapshotThatWouldTakeTheJournalsLastSpaceIsSkippedAndSaidSoOnce() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small"));
    try (SmallFilesystem fs = SmallFilesystem.mount(mount, "4m");
        LogCapture logs = LogCapture.of(SnapshotDirectory.class)) {
      SnapshotDirectory files = new SnapshotDirectory(mount.resolve("snapshots"), true, 1 << 20);
      Path filler = mount.resolve("filler");
      fs.fill(filler, (3 << 20) / 2);
      byte[] state = new byte[800 * 1024];
      for (int seq = 1; seq <= 3; seq++) {
        SnapshotFile.Content c =
            new SnapshotFile.Content(
                "p", seq, seq, new SnapshotFile.Blob(4, "", state), Optional.empty());
        assertThatThrownBy(() -> files.save(c))
            .isInstanceOf(SnapshotSkippedException.class)
            .hasMessageContaining("kept free for the journal");
      }
      assertThat(files.list("p", e -> true)).isEmpty();
      assertThat(fs.free()).as("the space stayed free").isGreaterThan(1 << 20);
      assertThat(logs.messages(Level.WARN))
          .singleElement()
          .satisfies(m -> assertThat(m).contains("skipping snapshots"));

      Files.delete(filler);
      files.save(
          new SnapshotFile.Content(
              "p", 4, 4, new SnapshotFile.Blob(4, "", state), Optional.empty()));
      assertThat(files.list("p", e -> true)).hasSize(1);
      assertThat(logs.messages(Level.INFO))
          .anySatisfy(m -> assertThat(m).contains("snapshots are written again"));
    }
  }

  @Test
  void aSnapshotBecomesVisibleOnlyComplete() throws Exception {
    SnapshotDirectory files = new SnapshotDirectory(dir.resolve("direct"), true);
    byte[] big = new byte[1 << 20];
    AtomicBoolean writing = new AtomicBoolean(true);
    CompletableFuture<Integer> reader =
        CompletableFuture.supplyAsync(
            () -> {
              int verified = 0;
              try {
                while (writing.get()) {
                  for (SnapshotDirectory.Entry e : files.list("p", x -> true)) {
                    files.read(e); // throws on a partial or torn file
                    verified++;
                  }
                }
              } catch (IOException e) {
                throw new IllegalStateException("saw an incomplete snapshot", e);
              }
              return verified;
            });
    try {
      for (int seq = 1; seq <= 40; seq++) {
        files.save(
            new SnapshotFile.Content(
                "p", seq, seq, new SnapshotFile.Blob(4, "", big), Optional.empty()));
      }
    } finally {
      writing.set(false);
    }
    assertThat(reader.get(60, TimeUnit.SECONDS)).isPositive();
    try (Stream<Path> s = Files.list(dir.resolve("direct"))) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .hasSize(40)
          .allMatch(n -> n.startsWith(SnapshotFile.PREFIX) && n.endsWith(SnapshotFile.SUFFIX));
    }
  }

  @Test
  void aTempFileLeftByACrashIsNeverLoadedAndIsRemovedAtStartup() throws Exception {
    save("p", 10, "state-at-10");
    Path leftover = dir.resolve(SnapshotFile.TEMP_PREFIX + "crashed" + SnapshotFile.TEMP_SUFFIX);
    Files.write(leftover, new byte[] {1, 2, 3});
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains("state-at-10");

    new SnapshotDirectory(dir, true);
    assertThat(leftover).doesNotExist();
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains("state-at-10");
  }

  @Test
  void snapshotsSurviveARestartOfTheStore() {
    save("p", 7, "seven");
    TestKit.shutdownActorSystem(system);
    setUp();
    assertThat(latest("p")).map(SelectedSnapshot::snapshot).contains("seven");
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, position);
      b.put(0, (byte) (b.get(0) ^ 0x5A)).position(0);
      ch.write(b, position);
    }
  }
}
