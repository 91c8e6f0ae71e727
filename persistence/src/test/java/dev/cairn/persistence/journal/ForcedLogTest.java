package dev.cairn.persistence.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.cairn.persistence.LogCapture;
import dev.cairn.persistence.SmallFilesystem;
import dev.cairn.persistence.TestMetrics;
import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
import dev.cairn.persistence.journal.ForcedLog.Event;
import dev.cairn.persistence.journal.ForcedLog.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ForcedLogTest {

  @TempDir Path dir;

  private String name;

  @BeforeEach
  void setUp() {
    TestMetrics.install();
    name = "test-" + UUID.randomUUID();
  }

  private JournalSettings settings() {
    return JournalSettings.defaults(dir).withName(name);
  }

  private ForcedLog open() throws IOException {
    return ForcedLog.open(settings());
  }

  private static EncodedWrite event(String pid, long seq, String payload) {
    return ForcedLog.encode(
        new Write(pid, List.of(new Event(seq, payload.getBytes(StandardCharsets.UTF_8)))));
  }

  private static void write(ForcedLog log, String pid, long seq, String payload) throws Exception {
    log.append(List.of(event(pid, seq, payload))).get(10, TimeUnit.SECONDS);
  }

  /**
   * Writes events 1..n of {@code pid}, one record each, and returns the record offsets in the first
   * segment.
   */
  /** {@link #writeRange} on a log opened for it and closed after, ready to be damaged. */
  private List<Long> writeRangeAndClose(String pid, int n) throws Exception {
    try (ForcedLog log = open()) {
      return writeRange(log, pid, n);
    }
  }

  private static List<Long> writeRange(ForcedLog log, String pid, int n) throws Exception {
    List<Long> offsets = new ArrayList<>();
    long offset = LogFormat.SEGMENT_HEADER_SIZE;
    for (int i = 1; i <= n; i++) {
      offsets.add(offset);
      EncodedWrite w = event(pid, i, "e" + i);
      log.append(List.of(w)).get(10, TimeUnit.SECONDS);
      offset += w.frame().length;
    }
    offsets.add(offset);
    return offsets;
  }

  private static List<String> replay(ForcedLog log, String pid) throws Exception {
    return replay(log, pid, 1, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  private static List<String> replay(ForcedLog log, String pid, long from, long to, long max)
      throws Exception {
    List<String> out = new ArrayList<>();
    log.replay(
        pid,
        from,
        to,
        max,
        (seq, bytes) -> out.add(seq + ":" + new String(bytes, StandardCharsets.UTF_8)));
    return out;
  }

  private static long highest(ForcedLog log, String pid) throws Exception {
    return log.highestSequenceNr(pid).get(10, TimeUnit.SECONDS);
  }

  private Path segment(long index) {
    return dir.resolve(Segment.fileName(index));
  }

  @Test
  void eventsSurviveReopenAndReplayInOrderWithinBounds() throws Exception {
    try (ForcedLog log = open()) {
      writeRange(log, "a", 5);
      log.append(
              List.of(
                  ForcedLog.encode(
                      new Write(
                          "b",
                          List.of(
                              new Event(1, "b1".getBytes(StandardCharsets.UTF_8)),
                              new Event(2, "b2".getBytes(StandardCharsets.UTF_8)))))))
          .get(10, TimeUnit.SECONDS);
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4", "5:e5");
      assertThat(replay(log, "a", 2, 4, Long.MAX_VALUE)).containsExactly("2:e2", "3:e3", "4:e4");
      assertThat(replay(log, "a", 2, 5, 2)).containsExactly("2:e2", "3:e3");
      assertThat(replay(log, "a", 1, 5, 0)).isEmpty();
      assertThat(replay(log, "b", 2, 2, 10)).containsExactly("2:b2");
      assertThat(replay(log, "missing")).isEmpty();
      assertThat(highest(log, "a")).isEqualTo(5);
      assertThat(highest(log, "b")).isEqualTo(2);
      assertThat(highest(log, "missing")).isZero();
    }
  }

  @Test
  void rollsOverSegmentsAndReplaysAcrossThem() throws Exception {
    JournalSettings small = settings().withSegmentSize(JournalSettings.MIN_SEGMENT_SIZE);
    String payload = "x".repeat(300);
    try (ForcedLog log = ForcedLog.open(small)) {
      for (int i = 1; i <= 60; i++) {
        for (String pid : List.of("p1", "p2", "p3")) {
          write(log, pid, i, payload + i);
        }
      }
    }
    assertThat(Segment.list(dir)).hasSizeGreaterThan(10);
    for (Path p : Segment.list(dir)) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(JournalSettings.MIN_SEGMENT_SIZE);
    }
    try (ForcedLog log = ForcedLog.open(small)) {
      for (String pid : List.of("p1", "p2", "p3")) {
        List<String> events = replay(log, pid);
        assertThat(events).hasSize(60);
        assertThat(events.get(59)).isEqualTo("60:" + payload + 60);
        assertThat(replay(log, pid, 30, 32, 10))
            .extracting(s -> s.substring(0, s.indexOf(':')))
            .containsExactly("30", "31", "32");
      }
    }
  }

  @Test
  void theActiveSegmentIsExtendedAheadOfItsRecordsAndTrimmedWhenClosed() throws Exception {
    List<Long> offsets;
    try (ForcedLog log = open()) {
      offsets = writeRange(log, "a", 3);
      // The next forced writes land inside the file's length, not at its end.
      assertThat(Files.size(segment(1))).isGreaterThanOrEqualTo(Segment.PAD);
    }
    assertThat(Files.size(segment(1))).isEqualTo(offsets.get(3));
  }

  @Test
  void zerosLeftAfterTheLastRecordEndTheLogWithoutAWarning() throws Exception {
    List<Long> offsets = writeRangeAndClose("a", 4);
    long end = offsets.get(4);
    // What a process that stopped without closing its log leaves: the extension, all zeros.
    try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[1]), end + Segment.PAD - 1);
    }
    assertThat(Files.size(segment(1))).isEqualTo(end + Segment.PAD);
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = open()) {
      assertThat(logs.messages(Level.WARN)).isEmpty();
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4");
      assertThat(highest(log, "a")).isEqualTo(4);
      write(log, "a", 5, "e5");
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4", "5:e5");
    }
    // Zeros and then a byte that is not: damage, not an extension, handled as a torn tail.
    long end5 = Files.size(segment(1));
    try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {7}), end5 + 100);
    }
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = open()) {
      assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("torn record"));
      assertThat(replay(log, "a")).hasSize(5);
    }
  }

  @Test
  void tornLastRecordIsTruncatedAndWritingContinues() throws Exception {
    List<Long> offsets = writeRangeAndClose("a", 5);
    long end = offsets.get(5);
    assertThat(Files.size(segment(1))).isEqualTo(end);
    try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
      ch.truncate(end - 3);
    }
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = open()) {
      assertThat(logs.messages(Level.WARN))
          .anySatisfy(
              m ->
                  assertThat(m)
                      .contains("torn record at offset " + offsets.get(4))
                      .contains(segment(1).toString()));
      assertThat(Files.size(segment(1))).isEqualTo(offsets.get(4));
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4");
      assertThat(highest(log, "a")).isEqualTo(4);
      write(log, "a", 5, "again");
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4", "5:again");
    }
  }

  @Test
  void recordWithOnlyPartOfItsHeaderIsTruncated() throws Exception {
    List<Long> offsets = writeRangeAndClose("a", 3);
    try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
      ch.truncate(offsets.get(2) + 5);
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2");
      assertThat(Files.size(segment(1))).isEqualTo(offsets.get(2));
    }
  }

  @Test
  void garbageAppendedAfterTheLastRecordIsTruncated() throws Exception {
    List<Long> offsets = writeRangeAndClose("a", 4);
    long end = offsets.get(4);
    // a plausible length whose CRC does not match, then an impossible length
    ByteBuffer badCrc = ByteBuffer.allocate(8 + 20).putInt(20).putInt(0xDEADBEEF);
    badCrc.put(8, LogFormat.TYPE_EVENTS).position(0);
    ByteBuffer impossibleLength = ByteBuffer.allocate(10).putInt(-1).putInt(7).flip();
    for (ByteBuffer garbage : List.of(badCrc, impossibleLength)) {
      try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
        ch.write(garbage, end);
      }
      assertThat(Files.size(segment(1))).isGreaterThan(end);
      try (LogCapture logs = LogCapture.of(ForcedLog.class);
          ForcedLog log = open()) {
        assertThat(logs.messages(Level.WARN))
            .anySatisfy(m -> assertThat(m).contains("torn record"));
        assertThat(Files.size(segment(1))).isEqualTo(end);
        assertThat(replay(log, "a")).containsExactly("1:e1", "2:e2", "3:e3", "4:e4");
      }
    }
    try (ForcedLog log = open()) {
      write(log, "a", 5, "e5");
      assertThat(replay(log, "a")).hasSize(5);
    }
  }

  @Test
  void damageBeforeTheTailStopsStartupNamingFileAndOffset() throws Exception {
    List<Long> offsets = writeRangeAndClose("a", 5);
    long damaged = offsets.get(1);
    flipByte(segment(1), damaged + LogFormat.FRAME_HEADER_SIZE + 4);
    long size = Files.size(segment(1));
    assertThatThrownBy(this::open)
        .isInstanceOf(JournalCorruptedException.class)
        .hasMessageContaining(segment(1).toString())
        .hasMessageContaining("corrupt at offset " + damaged)
        .hasMessageContaining("CRC mismatch")
        .hasMessageContaining("valid records follow");
    assertThat(Files.size(segment(1))).as("nothing was truncated").isEqualTo(size);
    // the directory lock was released by the failed open
    assertThatThrownBy(this::open).isInstanceOf(JournalCorruptedException.class);
  }

  @Test
  void damageInASealedSegmentStopsStartup() throws Exception {
    JournalSettings small = settings().withSegmentSize(JournalSettings.MIN_SEGMENT_SIZE);
    try (ForcedLog log = ForcedLog.open(small)) {
      for (int i = 1; i <= 40; i++) {
        write(log, "a", i, "y".repeat(200));
      }
    }
    assertThat(Segment.list(dir)).hasSizeGreaterThan(2);
    long size = Files.size(segment(1));
    try (FileChannel ch = FileChannel.open(segment(1), StandardOpenOption.WRITE)) {
      ch.truncate(size - 2);
    }
    assertThatThrownBy(() -> ForcedLog.open(small))
        .isInstanceOf(JournalCorruptedException.class)
        .hasMessageContaining(segment(1).toString())
        .hasMessageContaining("sealed");
  }

  @Test
  void missingSegmentStopsStartup() throws Exception {
    JournalSettings small = settings().withSegmentSize(JournalSettings.MIN_SEGMENT_SIZE);
    try (ForcedLog log = ForcedLog.open(small)) {
      for (int i = 1; i <= 40; i++) {
        write(log, "a", i, "y".repeat(200));
      }
    }
    Files.delete(segment(2));
    assertThatThrownBy(() -> ForcedLog.open(small))
        .isInstanceOf(JournalCorruptedException.class)
        .hasMessageContaining(Segment.fileName(2))
        .hasMessageContaining("missing");
  }

  @Test
  void unknownFormatVersionFailsClearly() throws Exception {
    ByteBuffer header =
        ByteBuffer.allocate(LogFormat.SEGMENT_HEADER_SIZE)
            .putInt(LogFormat.MAGIC)
            .putInt(99)
            .putLong(1)
            .flip();
    try (FileChannel ch =
        FileChannel.open(segment(1), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(header);
    }
    assertThatThrownBy(this::open)
        .isInstanceOf(UnsupportedJournalFormatException.class)
        .hasMessageContaining(segment(1).toString())
        .hasMessageContaining("unsupported journal format version 99");
    Files.writeString(segment(1), "definitely not a journal segment");
    assertThatThrownBy(this::open)
        .isInstanceOf(UnsupportedJournalFormatException.class)
        .hasMessageContaining("not a Cairn journal segment");
  }

  @Test
  void creatingDirectoryAndSegmentTwiceIsHarmless() throws Exception {
    Path nested = dir.resolve("a/b");
    JournalSettings s = JournalSettings.defaults(nested).withName(name);
    ForcedLog.open(s).close();
    ForcedLog.open(s).close();
    assertThat(Segment.list(nested)).hasSize(1);
    byte[] header = Files.readAllBytes(nested.resolve(Segment.fileName(1)));
    try (Segment again = Segment.create(nested, 1)) {
      assertThat(again.size).isEqualTo(LogFormat.SEGMENT_HEADER_SIZE);
    }
    assertThat(Files.readAllBytes(nested.resolve(Segment.fileName(1)))).isEqualTo(header);
    // a crash between creating the file and writing its header leaves it empty: it is completed on
    // open
    Files.write(nested.resolve(Segment.fileName(1)), new byte[0]);
    try (ForcedLog log = ForcedLog.open(s)) {
      write(log, "a", 1, "e1");
    }
    try (ForcedLog log = ForcedLog.open(s)) {
      assertThat(replay(log, "a")).containsExactly("1:e1");
    }
  }

  @Test
  void deletesAreDurableAndNeverLowerTheHighestSequenceNr() throws Exception {
    try (ForcedLog log = open()) {
      writeRange(log, "a", 5);
      log.deleteTo("a", 3).get(10, TimeUnit.SECONDS);
      assertThat(replay(log, "a")).containsExactly("4:e4", "5:e5");
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("4:e4", "5:e5");
      log.deleteTo("a", Long.MAX_VALUE).get(10, TimeUnit.SECONDS);
      assertThat(replay(log, "a")).isEmpty();
      assertThat(highest(log, "a")).isEqualTo(5);
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).isEmpty();
      assertThat(highest(log, "a")).isEqualTo(5);
      write(log, "a", 6, "e6");
      assertThat(replay(log, "a")).containsExactly("6:e6");
    }
  }

  @Test
  void segmentsHoldingOnlyDeletedEventsAreReclaimedAndCountersSurvive() throws Exception {
    JournalSettings small = settings().withSegmentSize(JournalSettings.MIN_SEGMENT_SIZE);
    String payload = "z".repeat(300);
    try (ForcedLog log = ForcedLog.open(small)) {
      write(log, "early", 1, "only");
      log.deleteTo("early", 1).get(10, TimeUnit.SECONDS);
      for (int i = 1; i <= 60; i++) {
        write(log, "a", i, payload);
      }
      for (int i = 1; i <= 30; i++) {
        write(log, "b", i, payload + i);
      }
      log.deleteTo("a", Long.MAX_VALUE).get(10, TimeUnit.SECONDS);
      log.deleteTo("b", 10).get(10, TimeUnit.SECONDS);
      int before = Segment.list(dir).size();
      for (int i = 1; i <= 30; i++) {
        write(log, "c", i, payload + i);
      }
      assertThat(log.stats().segmentsReclaimed()).isPositive();
      assertThat(Files.exists(segment(1))).isFalse();
      assertThat(Segment.list(dir).size()).isLessThan(before);
      assertThat(replay(log, "a")).isEmpty();
      assertThat(replay(log, "b")).hasSize(20).first().isEqualTo("11:" + payload + 11);
    }
    try (ForcedLog log = ForcedLog.open(small)) {
      assertThat(highest(log, "early")).isEqualTo(1);
      assertThat(highest(log, "a")).isEqualTo(60);
      assertThat(highest(log, "b")).isEqualTo(30);
      assertThat(replay(log, "early")).isEmpty();
      assertThat(replay(log, "a")).isEmpty();
      assertThat(replay(log, "b")).hasSize(20).first().isEqualTo("11:" + payload + 11);
      assertThat(replay(log, "c")).hasSize(30);
      write(log, "a", 61, "after");
      assertThat(replay(log, "a")).containsExactly("61:after");
    }
  }

  @Test
  void secondOpenInThisProcessFailsAtOnceAndCloseReleasesTheLock() throws Exception {
    ForcedLog first = open();
    try {
      assertThatThrownBy(this::open)
          .isInstanceOf(JournalLockedException.class)
          .hasMessageContaining("journal directory " + dir.toAbsolutePath() + " is locked");
    } finally {
      first.close();
    }
    open().close();
  }

  @Test
  void anotherProcessFailsAtOnceWhileTheLockIsHeld() throws Exception {
    ForcedLog held = open();
    try {
      ProbeResult r = runLockProbe();
      assertThat(r.exitCode()).as(r.output()).isEqualTo(3);
      assertThat(r.output())
          .contains(
              "journal directory "
                  + dir.toAbsolutePath()
                  + " is locked by another process (pid "
                  + ProcessHandle.current().pid()
                  + ")");
      long millis =
          Long.parseLong(r.output().replaceAll("(?s).*LOCK-PROBE LOCKED (\\d+) .*", "$1"));
      assertThat(millis).as("failed without waiting for the lock").isLessThan(5000);
    } finally {
      held.close();
    }
    ProbeResult after = runLockProbe();
    assertThat(after.exitCode()).as(after.output()).isZero();
    assertThat(after.output()).contains("LOCK-PROBE OPENED");
  }

  private record ProbeResult(int exitCode, String output) {}

  private ProbeResult runLockProbe() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LockProbe.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return e.toString();
              }
            });
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("lock probe did not finish within 60 s");
    }
    return new ProbeResult(p.exitValue(), output.get(10, TimeUnit.SECONDS));
  }

  /** Waits (up to 10 s) until the writer has finished everything submitted to it. */
  private static void awaitIdle(ForcedLog log) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!log.idle()) {
      assertThat(System.nanoTime() - deadline).as("the writer to be idle").isNegative();
      Thread.onSpinWait();
    }
  }

  /** Forces as usual, but the first force signals {@code inForce} and waits for {@code release}. */
  private static ForcedLog.Forcer holdingTheFirstForce(
      CountDownLatch inForce, CountDownLatch release) {
    return ch -> {
      if (inForce.getCount() > 0) {
        inForce.countDown();
        await(release);
      }
      ch.force(false);
    };
  }

  @Test
  void appendHereOnAnIdleLogWritesOnTheCallingThreadAsOneGroup() throws Exception {
    Set<String> forcedBy = ConcurrentHashMap.newKeySet();
    ForcedLog.Forcer recording =
        ch -> {
          forcedBy.add(Thread.currentThread().getName());
          ch.force(false);
        };
    try (ForcedLog log = ForcedLog.open(settings(), recording)) {
      write(log, "a", 1, "queued"); // through the writer thread
      long forces = log.stats().forces();
      awaitIdle(log);
      List<CompletableFuture<Void>> acks =
          log.appendHere(
              List.of(
                  List.of(event("a", 2, "here-1")),
                  List.of(),
                  List.of(event("b", 1, "here-2"), event("c", 1, "here-3"))));
      assertThat(acks).hasSize(3).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
      assertThat(log.stats().forces()).isEqualTo(forces + 1);
      assertThat(forcedBy).contains(Thread.currentThread().getName());
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:queued", "2:here-1");
      assertThat(replay(log, "b")).containsExactly("1:here-2");
      assertThat(replay(log, "c")).containsExactly("1:here-3");
    }
  }

  @Test
  void appendHereWhileTheWriterIsBusyQueuesBehindWhatCameFirst() throws Exception {
    CountDownLatch inForce = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (ForcedLog log = ForcedLog.open(settings(), holdingTheFirstForce(inForce, release))) {
      CompletableFuture<Void> first = log.append(List.of(event("a", 1, "first")));
      assertThat(inForce.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(log.idle()).isFalse();
      List<CompletableFuture<Void>> acks =
          log.appendHere(List.of(List.of(event("a", 2, "second"))));
      assertThat(acks.get(0)).isNotDone(); // queued: the calling thread did not write it
      release.countDown();
      first.get(10, TimeUnit.SECONDS);
      acks.get(0).get(10, TimeUnit.SECONDS);
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:first", "2:second");
    }
  }

  @Test
  void concurrentWritesQueuedDuringAForceShareTheNextForce() throws Exception {
    CountDownLatch inForce = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ForcedLog.Forcer holdFirst = holdingTheFirstForce(inForce, release);
    int threads = 8;
    int perThread = 25;
    double forcesBefore = TestMetrics.forces(name);
    try (ForcedLog log = ForcedLog.open(settings(), holdFirst)) {
      CompletableFuture<Void> first = log.append(List.of(event("first", 1, "f")));
      assertThat(inForce.await(10, TimeUnit.SECONDS)).isTrue();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<List<CompletableFuture<Void>>>> submitted = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String pid = "writer-" + t;
        submitted.add(
            pool.submit(
                () -> {
                  List<CompletableFuture<Void>> acks = new ArrayList<>();
                  for (int i = 1; i <= perThread; i++) {
                    acks.add(log.append(List.of(event(pid, i, pid + "/" + i))));
                  }
                  return acks;
                }));
      }
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      for (Future<List<CompletableFuture<Void>>> f : submitted) {
        acks.addAll(f.get(10, TimeUnit.SECONDS));
      }
      pool.shutdown();
      assertThat(acks).noneMatch(CompletableFuture::isDone);
      release.countDown();
      first.get(10, TimeUnit.SECONDS);
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

      assertThat(log.stats().writes()).isEqualTo(1 + threads * perThread);
      assertThat(log.stats().forces()).isEqualTo(2);
      assertThat(TestMetrics.forces(name) - forcesBefore).isEqualTo(2);
      assertThat(TestMetrics.batchEvents(name).max()).isEqualTo(threads * perThread);
    }
    try (ForcedLog log = open()) {
      for (int t = 0; t < threads; t++) {
        String pid = "writer-" + t;
        List<String> events = replay(log, pid);
        assertThat(events).hasSize(perThread);
        assertThat(events.get(perThread - 1)).isEqualTo(perThread + ":" + pid + "/" + perThread);
      }
    }
  }

  @Test
  void highestSequenceNrWaitsForWritesSubmittedBeforeIt() throws Exception {
    CountDownLatch inForce = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ForcedLog.Forcer holdFirst = holdingTheFirstForce(inForce, release);
    try (ForcedLog log = ForcedLog.open(settings(), holdFirst)) {
      CompletableFuture<Void> write =
          log.append(
              List.of(
                  ForcedLog.encode(
                      new Write(
                          "a",
                          List.of(
                              new Event(1, new byte[1]),
                              new Event(2, new byte[1]),
                              new Event(3, new byte[1]))))));
      assertThat(inForce.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Long> highest = log.highestSequenceNr("a");
      assertThat(highest).isNotDone();
      release.countDown();
      assertThat(highest.get(10, TimeUnit.SECONDS)).isEqualTo(3);
      assertThat(write).isDone();
    }
  }

  @Test
  void appendsAtATakenOrSkippedSequenceNumberAreRefusedAloneAndWriteNothing() throws Exception {
    CountDownLatch inForce = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (ForcedLog log = ForcedLog.open(settings(), holdingTheFirstForce(inForce, release))) {
      CompletableFuture<Void> first = log.append(List.of(event("a", 1, "a1")));
      assertThat(inForce.await(10, TimeUnit.SECONDS)).isTrue();
      // queued during the force: one group, in this order
      CompletableFuture<Void> a2 = log.append(List.of(event("a", 2, "a2")));
      CompletableFuture<Void> stale = log.append(List.of(event("a", 2, "stale")));
      CompletableFuture<Void> b1 = log.append(List.of(event("b", 1, "b1")));
      CompletableFuture<Void> gap = log.append(List.of(event("a", 4, "gap")));
      CompletableFuture<Void> mixed = log.append(List.of(event("c", 1, "c1"), event("a", 1, "x")));
      CompletableFuture<Void> a3 = log.append(List.of(event("a", 3, "a3")));
      release.countDown();
      for (CompletableFuture<Void> ok : List.of(first, a2, b1, a3)) {
        ok.get(10, TimeUnit.SECONDS);
      }
      assertThatThrownBy(() -> stale.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(FencedAppendException.class)
          .hasMessageContaining("sequence number 2 of a is taken (highest stored is 2)");
      assertThatThrownBy(() -> gap.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(FencedAppendException.class)
          .hasMessageContaining("sequence number 4 of a would leave a gap");
      assertThatThrownBy(() -> mixed.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(FencedAppendException.class);
      // a write long after the id's events were stored is refused just the same
      assertThatThrownBy(() -> write(log, "a", 1, "late"))
          .hasCauseInstanceOf(FencedAppendException.class);
      assertThat(replay(log, "a")).containsExactly("1:a1", "2:a2", "3:a3");
    }
    try (ForcedLog log = open()) {
      assertThat(replay(log, "a")).containsExactly("1:a1", "2:a2", "3:a3");
      assertThat(replay(log, "b")).containsExactly("1:b1");
      assertThat(replay(log, "c")).as("all of a refused append or none").isEmpty();
      assertThat(highest(log, "c")).isZero();
    }
  }

  @Test
  void failedForceFailsTheGroupAndRefusesLaterWrites() throws Exception {
    ForcedLog.Forcer broken =
        ch -> {
          throw new IOException("simulated EIO");
        };
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = ForcedLog.open(settings(), broken)) {
      CompletableFuture<Void> first = log.append(List.of(event("a", 1, "e1")));
      assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseMessage("simulated EIO");
      assertThatThrownBy(() -> write(log, "a", 1, "e1"))
          .hasMessageContaining("unavailable after a failed write");
      assertThat(highest(log, "a")).isZero();
      assertThat(replay(log, "a")).isEmpty();
      assertThat(logs.messages(Level.ERROR))
          .anySatisfy(m -> assertThat(m).contains("write failed"));
    }
  }

  @Test
  @Timeout(120)
  void outOfSpaceFailsFastKeepsNothingOfTheFailedGroupAndResumesWhenSpaceIsFreed()
      throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small"));
    try (SmallFilesystem fs = SmallFilesystem.mount(mount, "4m")) {
      JournalSettings small =
          JournalSettings.defaults(mount.resolve("journal"))
              .withName(name)
              .withSegmentSize(1 << 20)
              .withResumeFreeSpace(512 * 1024, Duration.ofMillis(50));
      CountDownLatch inForce = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Path filler = mount.resolve("filler");
      try (ForcedLog before = ForcedLog.open(small)) {
        for (int i = 1; i <= 3; i++) {
          write(before, "p0", i, "p0-" + i);
        }
      }
      try (LogCapture logs = LogCapture.of(ForcedLog.class);
          ForcedLog log = ForcedLog.open(small, holdingTheFirstForce(inForce, release))) {
        fs.fill(filler, 48 * 1024);
        CompletableFuture<Void> first = log.append(List.of(event("p1", 1, "x".repeat(1024))));
        assertThat(inForce.await(10, TimeUnit.SECONDS)).isTrue();
        // one group: the first append fits, the second does not
        CompletableFuture<Void> fits = log.append(List.of(event("p2", 1, "y".repeat(2048))));
        CompletableFuture<Void> tooBig = log.append(List.of(event("p3", 1, "z".repeat(200_000))));
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<Void> failed : List.of(fits, tooBig)) {
          assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
              .cause()
              .isInstanceOf(JournalUnwritableException.class)
              .hasMessageContaining("has no space left")
              .satisfies(e -> assertThat(((JournalUnwritableException) e).noSpace()).isTrue());
        }
        assertThat(log.condition().state()).isEqualTo(JournalCondition.State.NO_SPACE);
        assertThat(log.writable()).isFalse();
        assertThat(TestMetrics.gauge("cairn.journal.no.space", name)).isEqualTo(1.0);
        assertThat(TestMetrics.gauge("cairn.journal.free", name)).isLessThan(512 * 1024);

        long slowest = 0;
        for (int i = 0; i < 20; i++) {
          long t0 = System.nanoTime();
          CompletableFuture<Void> refused = log.append(List.of(event("p1", 2, "refused")));
          assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS))
              .hasCauseInstanceOf(JournalUnwritableException.class);
          slowest = Math.max(slowest, System.nanoTime() - t0);
        }
        System.out.printf(
            "slowest refusal while out of space: %.1f ms%n", slowest / 1e6); // for the record
        // No disk access: about a millisecond on a quiet machine; the bound allows a loaded one.
        assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(2));
        assertThat(replay(log, "p2")).as("nothing of the failed group is visible").isEmpty();
        assertThat(highest(log, "p2")).isZero();

        // A replay that is reading when the log re-reads its files goes on with the new ones.
        CountDownLatch replaying = new CountDownLatch(1);
        CountDownLatch resumed = new CountDownLatch(1);
        CompletableFuture<List<String>> slowReplay =
            CompletableFuture.supplyAsync(
                () -> {
                  List<String> out = new ArrayList<>();
                  try {
                    log.replay(
                        "p0",
                        1,
                        Long.MAX_VALUE,
                        Long.MAX_VALUE,
                        (seq, bytes) -> {
                          out.add(seq + ":" + new String(bytes, StandardCharsets.UTF_8));
                          replaying.countDown();
                          await(resumed);
                        });
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  return out;
                });
        assertThat(replaying.await(10, TimeUnit.SECONDS)).isTrue();

        Files.delete(filler);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!log.writable()) {
          assertThat(System.nanoTime() - deadline).as("writes resumed in time").isNegative();
          Thread.onSpinWait();
        }
        resumed.countDown();
        assertThat(slowReplay.get(10, TimeUnit.SECONDS))
            .containsExactly("1:p0-1", "2:p0-2", "3:p0-3");
        // p2's first event was never stored, or this append would be refused as taken
        write(log, "p2", 1, "fits-again");
        write(log, "p1", 2, "x2");
        assertThat(replay(log, "p1")).hasSize(2);
        assertThat(replay(log, "p2")).containsExactly("1:fits-again");
        assertThat(replay(log, "p3")).isEmpty();
        assertThat(TestMetrics.gauge("cairn.journal.no.space", name)).isZero();
        assertThat(logs.messages(Level.ERROR))
            .as("one line for the change of state, not one per failed write")
            .singleElement()
            .satisfies(
                m ->
                    assertThat(m)
                        .contains("out of space")
                        .contains(mount.resolve("journal").toAbsolutePath().toString()));
        assertThat(logs.messages(Level.INFO))
            .filteredOn(m -> m.contains("writes resume"))
            .hasSize(1);
      }
      try (ForcedLog log = ForcedLog.open(small)) {
        assertThat(replay(log, "p1")).hasSize(2).first().asString().startsWith("1:x");
        assertThat(replay(log, "p2")).containsExactly("1:fits-again");
        assertThat(replay(log, "p3")).isEmpty();
      }
    }
  }

  @Test
  void fsyncOffSkipsForcesAndWarnsAtStartup() throws Exception {
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = ForcedLog.open(settings().withFsync(false))) {
      assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("fsync = off"));
      write(log, "a", 1, "e1");
      assertThat(log.stats().forces()).isZero();
      assertThat(log.stats().writes()).isEqualTo(1);
    }
    try (LogCapture logs = LogCapture.of(ForcedLog.class);
        ForcedLog log = open()) {
      assertThat(logs.messages(Level.WARN)).noneMatch(m -> m.contains("fsync = off"));
      write(log, "a", 2, "e2");
      assertThat(log.stats().forces()).isEqualTo(1);
    }
  }

  @Test
  void oversizedOrUnorderedWritesAreRejectedBeforeQueueing() {
    assertThatThrownBy(() -> ForcedLog.encode(new Write("a", List.of())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                ForcedLog.encode(
                    new Write("a", List.of(new Event(2, new byte[0]), new Event(1, new byte[0])))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IOException("test latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
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
