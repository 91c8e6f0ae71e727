package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The promise etcd and ZooKeeper make, checked against a real process: an acknowledged write was
 * forced to disk before the reply, so it survives a {@code kill -9} of the server.
 *
 * <ul>
 *   <li>{@link #everyAcknowledgedWriteSurvivesKillNine}: sixteen writers put fresh keys as fast as
 *       the server answers; mid-stream the server JVM gets SIGKILL; a new server on the same data
 *       directory must hold every acknowledged write with its value and the revision its reply
 *       carried; revisions continue with no gap and no reuse; writes in flight at the crash may be
 *       present or absent but never altered (and once found absent, never appear later). Three
 *       kill/restart cycles accumulate on one directory, with small segments and frequent snapshots
 *       so that crashes land around segment rolls and snapshots.
 *   <li>{@link #aSecondServerOnTheSameDataDirFailsAtOnceOnTheLock}: the journal's directory lock
 *       makes a second server exit at once, saying why, and leaves the first unharmed.
 *   <li>{@link #sigtermStopsCleanlyAndKeepsEveryAcknowledgedWrite}: SIGTERM under load exits within
 *       10 s, and the restart holds every acknowledged write.
 *   <li>{@link #theCheckCatchesAJournalThatLostAcknowledgedWrites}: the negative control; the same
 *       check fails on a journal whose tail was cut off.
 * </ul>
 *
 * <p>A kill -9 leaves the kernel's page cache intact, so these tests catch a server that
 * acknowledges before its write reached the kernel, or loses, reorders or reuses the log's tail in
 * recovery; they cannot catch a missing fsync, which only a power cut (or a simulated one) reveals.
 *
 * <p>Set {@code -Dcairn.it.seed=N} to reuse a seed (the kill times and the values derive from it);
 * every failure message carries the seed, the run's nonce and the work directory, which keeps the
 * data directory and the servers' output under {@code target/it-work}.
 */
class KillNineDurabilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WRITERS = 16;
  private static final int CYCLES = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  /**
   * For the kill -9 cycles: small journal segments and frequent snapshots, so that crashes land
   * around segment rolls, snapshots and the reclaiming of old segments, and recovery starts from a
   * snapshot and replays a tail spread over several segments.
   */
  private static final List<String> SMALL_SEGMENTS_FREQUENT_SNAPSHOTS =
      List.of(
          "-Dcairn.persistence.journal.segment-size=64KiB", "-Dcairn.namespace.snapshot-every=500");

  /** Fewest acknowledged writes a cycle must see before the kill, or it proves too little. */
  private static final int MIN_ACKED_BEFORE_KILL = 100;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final List<CairnProcess> servers = new ArrayList<>();
  private long seed;
  private String nonce;
  private Random random;
  private Path work;

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    seed = Long.getLong("cairn.it.seed", new SecureRandom().nextLong());
    random = new Random(seed);
    nonce = Long.toHexString(random.nextLong());
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    String name = info.getTestMethod().orElseThrow().getName();
    work = Files.createDirectories(root.resolve(name + "-" + nonce)).toAbsolutePath();
    System.out.println("=== " + name + ": " + ctx());
  }

  @AfterEach
  void tearDown() {
    servers.forEach(CairnProcess::close);
  }

  // ==================================================================== tests

  @Test
  void everyAcknowledgedWriteSurvivesKillNine() throws Exception {
    Path data = work.resolve("data");
    Ledger ledger = new Ledger(WRITERS);
    CairnProcess server = start(data, "server-0.log", SMALL_SEGMENTS_FREQUENT_SNAPSHOTS);
    long recoveredRevision = 0;
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      long killAfterMs = 1500 + random.nextInt(1501);
      WriteLoad load = new WriteLoad(server, ledger, WRITERS, cycle, seed).start();
      long writeStart = System.nanoTime();
      await(
          () -> millisSince(writeStart) >= killAfterMs && load.acked() >= MIN_ACKED_BEFORE_KILL,
          Duration.ofSeconds(60),
          "cycle " + cycle + ": " + MIN_ACKED_BEFORE_KILL + " acknowledged writes",
          () -> "acked " + load.acked() + ", anomalies " + ledger.anomalies);
      load.serverSignalled();
      int exit = server.kill9();
      long killed = System.nanoTime();
      long wroteMs = millisSince(writeStart);
      load.stop();
      load.join(Duration.ofSeconds(30));
      assertThat(exit).as("exit code after SIGKILL; %s", ctx()).isEqualTo(137);

      server = start(data, "server-" + cycle + ".log", SMALL_SEGMENTS_FREQUENT_SNAPSHOTS);
      long restartMs = millisSince(killed);
      int inFlight = (int) ledger.sent.keySet().stream().filter(ledger::unsettled).count();
      Recovery r = verifyRecovery(server, ledger, cycle, recoveredRevision);
      recoveredRevision = r.revision;
      System.out.printf(
          "cycle %d: wrote %d ms, kill -9 after %d ms target; sent %d, acked %d, in flight %d"
              + " (present after restart %d, absent %d), io errors %d, non-200 %d;"
              + " kill -> ready %d ms; recovered revision %d, keys %d, verified in %d ms;"
              + " unacknowledged writes ended by %s; journal truncated a torn tail: %s%n",
          cycle,
          wroteMs,
          killAfterMs,
          load.sent(),
          load.acked(),
          inFlight,
          r.inFlightPresent,
          r.inFlightAbsent,
          load.ioErrors(),
          load.non200(),
          restartMs,
          r.revision,
          r.keys,
          r.verifyMs,
          load.failures(),
          server.output().contains("torn record") ? "yes" : "no");
    }
    System.out.printf(
        "total: acked %d, in-flight recovered %d, in-flight lost %d, final revision %d;"
            + " journal %s; snapshots %s%n",
        ledger.acked.size(),
        ledger.recovered.size(),
        ledger.lost.size(),
        recoveredRevision + 1,
        listing(data.resolve("journal")),
        listing(data.resolve("snapshots")));
    Integer code = server.terminate(Duration.ofSeconds(30));
    assertThat(code).as("exit code after SIGTERM; %s", ctx()).isIn(0, 143);
  }

  @Test
  void aSecondServerOnTheSameDataDirFailsAtOnceOnTheLock() throws Exception {
    Path data = work.resolve("data");
    CairnProcess first = start(data, "first.log");
    long rev = put(first, WriteLoad.PREFIX + "before-second", "written by the first server");
    // The launcher's SIGSTOP and SIGCONT: frozen, the server answers nothing; thawed, it serves.
    first.suspend();
    HttpRequest health =
        HttpRequest.newBuilder(first.uri("/health")).timeout(Duration.ofMillis(500)).GET().build();
    assertThatThrownBy(() -> http.send(health, HttpResponse.BodyHandlers.ofString()))
        .as(
            "GET /health of a server frozen by SIGSTOP (process state now '%s'); %s",
            first.state(), ctx())
        .isInstanceOf(HttpTimeoutException.class);
    first.resume();
    first.awaitReady(Duration.ofSeconds(10));

    long launched = System.nanoTime();
    CairnProcess second = CairnProcess.launch(data, work.resolve("second.log"));
    servers.add(second);
    Integer code = second.awaitExit(Duration.ofSeconds(15));
    long exitMs = millisSince(launched);
    if (code == null) {
      String ready;
      try {
        HttpResponse<String> r = send(second, HttpRequest.newBuilder(second.uri("/ready")).GET());
        ready = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        ready = e.toString();
      }
      String out = second.tail(40);
      second.kill9();
      fail(
          "a second server (pid %d) on the data dir of a running one (pid %d) was still running"
              + " %d ms after launch; it must exit non-zero with a message about the lock. %s.%n"
              + "Its GET /ready: %s%nIts output (%s):%n%s",
          second.pid(), first.pid(), exitMs, ctx(), ready, second.outputFile(), out);
    }
    System.out.printf("second server exited with code %d after %d ms%n", code, exitMs);
    assertThat(code).as("exit code of the second server; %s", ctx()).isNotZero();
    assertThat(second.output())
        .as("output of the second server (%s); %s", second.outputFile(), ctx())
        .containsIgnoringCase("lock");

    // The first server is unharmed: still ready, its data intact, still writable.
    first.awaitReady(Duration.ofSeconds(10));
    JsonNode kv = get(first, WriteLoad.PREFIX + "before-second");
    assertThat(kv.path("kv").path("mod_revision").asLong()).as(ctx()).isEqualTo(rev);
    assertThat(put(first, WriteLoad.PREFIX + "after-second", "still writable"))
        .as(ctx())
        .isEqualTo(rev + 1);
    assertThat(first.terminate(Duration.ofSeconds(30))).as(ctx()).isIn(0, 143);
  }

  @Test
  void sigtermStopsCleanlyAndKeepsEveryAcknowledgedWrite() throws Exception {
    Path data = work.resolve("data");
    Ledger ledger = new Ledger(WRITERS);
    CairnProcess server = start(data, "server-0.log");
    WriteLoad load = new WriteLoad(server, ledger, WRITERS, 1, seed).start();
    long writeStart = System.nanoTime();
    await(
        () -> millisSince(writeStart) >= 1500 && load.acked() >= MIN_ACKED_BEFORE_KILL,
        Duration.ofSeconds(60),
        MIN_ACKED_BEFORE_KILL + " acknowledged writes",
        () -> "acked " + load.acked() + ", anomalies " + ledger.anomalies);
    load.serverSignalled();
    long signalled = System.nanoTime();
    long wroteMs = millisSince(writeStart);
    Integer code = server.terminate(Duration.ofSeconds(15));
    long stopMs = millisSince(signalled);
    load.stop();
    load.join(Duration.ofSeconds(30));
    if (code == null) {
      String out = server.tail(40);
      server.kill9();
      fail("no exit %d ms after SIGTERM; %s; output:%n%s", stopMs, ctx(), out);
    }
    assertThat(code).as("exit code after SIGTERM; %s", ctx()).isIn(0, 143);
    assertThat(stopMs).as("ms from SIGTERM to exit; %s", ctx()).isLessThanOrEqualTo(10_000);
    assertThat(server.output())
        .as("output of a graceful stop (%s); %s", server.outputFile(), ctx())
        .doesNotContain("Exception");

    long restarted = System.nanoTime();
    server = start(data, "server-1.log");
    long restartMs = millisSince(restarted);
    int inFlight = (int) ledger.sent.keySet().stream().filter(ledger::unsettled).count();
    Recovery r = verifyRecovery(server, ledger, 1, 0);
    System.out.printf(
        "SIGTERM after %d ms of writing: exit %d in %d ms; sent %d, acked %d, unacknowledged %d"
            + " (present %d, absent %d), non-200 %d; restart -> ready %d ms; revision %d;"
            + " unacknowledged writes ended by %s%n",
        wroteMs,
        code,
        stopMs,
        load.sent(),
        load.acked(),
        inFlight,
        r.inFlightPresent,
        r.inFlightAbsent,
        load.non200(),
        restartMs,
        r.revision,
        load.failures());
    assertThat(server.terminate(Duration.ofSeconds(30))).as(ctx()).isIn(0, 143);
  }

  /**
   * The check itself can fail: after a kill -9, half of the journal's last segment is cut off (as
   * if the tail of acknowledged writes had never reached the disk); the restarted server recovers
   * what is left, and the same check that passes above must now report acknowledged writes missing.
   */
  @Test
  void theCheckCatchesAJournalThatLostAcknowledgedWrites() throws Exception {
    Path data = work.resolve("data");
    Ledger ledger = new Ledger(WRITERS);
    CairnProcess server = start(data, "server-0.log");
    WriteLoad load = new WriteLoad(server, ledger, WRITERS, 1, seed).start();
    await(
        () -> load.acked() >= MIN_ACKED_BEFORE_KILL,
        Duration.ofSeconds(60),
        MIN_ACKED_BEFORE_KILL + " acknowledged writes",
        () -> "acked " + load.acked() + ", anomalies " + ledger.anomalies);
    load.serverSignalled();
    server.kill9();
    load.stop();
    load.join(Duration.ofSeconds(30));

    Path segment;
    try (var files = Files.list(data.resolve("journal"))) {
      segment =
          files
              .filter(f -> f.getFileName().toString().matches("wal-\\d+\\.seg"))
              .max(Comparator.naturalOrder())
              .orElseThrow(
                  () -> new AssertionError("no journal segment in " + data + "; " + ctx()));
    }
    // The journal extends its active segment ahead of the records with zeros: the records end
    // after the last byte that is not zero.
    byte[] bytes = Files.readAllBytes(segment);
    long size = bytes.length;
    while (size > 16 && bytes[(int) size - 1] == 0) {
      size--;
    }
    long cut = 16 + (size - 16) / 2; // keep the 16-byte segment header and half of the records
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    System.out.printf(
        "negative control: %d acknowledged writes, %s cut from %d to %d bytes%n",
        load.acked(), segment.getFileName(), size, cut);

    server = start(data, "server-1.log");
    CairnProcess restarted = server;
    assertThatThrownBy(() -> verifyRecovery(restarted, ledger, 1, 0))
        .as("the recovery check on a journal that lost half its records; %s", ctx())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("acknowledged writes are missing");
  }

  // ==================================================================== recovery check

  private record Observed(String value, long modRevision, long createRevision, long version) {}

  private record Recovery(
      long revision, int keys, int inFlightPresent, int inFlightAbsent, long verifyMs) {}

  /**
   * Checks a freshly restarted server against the ledger, settles the writes that were in flight
   * (present → recovered, absent → lost), and makes one more write, which must take the next
   * revision. {@code previousRevision} is the revision the previous restart recovered: every write
   * acknowledged since must have a higher one.
   */
  private Recovery verifyRecovery(
      CairnProcess server, Ledger ledger, int cycle, long previousRevision) throws Exception {
    long t0 = System.nanoTime();
    List<String> problems = new ArrayList<>(ledger.anomalies);
    JsonNode status = getJson(server, "/v1/namespaces/default");
    long revision = status.path("revision").asLong(-1);
    Map<String, Observed> all = readPrefix(server, WriteLoad.PREFIX, problems);

    // (1) every acknowledged write, of this cycle and every earlier one, with its value and
    // revision
    int missing = 0;
    int summaryAt = problems.size();
    List<Map.Entry<String, Long>> byAckRevision = new ArrayList<>(ledger.acked.entrySet());
    byAckRevision.sort(Map.Entry.comparingByValue());
    for (Map.Entry<String, Long> e : byAckRevision) {
      missing += checkPresent(e.getKey(), e.getValue(), "acknowledged", ledger, all, problems);
    }
    for (Map.Entry<String, Long> e : ledger.recovered.entrySet()) {
      checkPresent(
          e.getKey(),
          e.getValue(),
          "in flight at an earlier crash, then recovered",
          ledger,
          all,
          problems);
    }
    if (missing > 0) {
      problems.add(
          summaryAt,
          missing
              + " of "
              + ledger.acked.size()
              + " acknowledged writes are missing (highest acknowledged revision "
              + ledger.maxAckedRevision()
              + ", recovered revision "
              + revision
              + ")");
    }
    for (String key : ledger.lost) {
      if (all.containsKey(key)) {
        problems.add(
            key + " was absent after an earlier restart but is present now: " + all.get(key));
      }
    }

    // (3) writes in flight at the crash: present with exactly the value sent, or absent
    int present = 0;
    int absent = 0;
    for (Ledger.Write w : ledger.sent.values()) {
      if (!ledger.unsettled(w.key())) {
        continue;
      }
      Observed o = all.get(w.key());
      if (o == null) {
        absent++;
        ledger.lost.add(w.key());
      } else {
        present++;
        if (!o.value().equals(w.value())) {
          problems.add(
              "in-flight write "
                  + w.key()
                  + " is present with value '"
                  + o.value()
                  + "', but the value sent was '"
                  + w.value()
                  + "'");
        }
        ledger.recovered.put(w.key(), o.modRevision());
      }
    }

    // nothing that was never written
    for (Map.Entry<String, Observed> e : all.entrySet()) {
      if (!ledger.sent.containsKey(e.getKey())) {
        problems.add("key " + e.getKey() + " was never written but is present: " + e.getValue());
      }
    }

    // (2) revisions: one per write, no reuse, no gap, and the status is at least every ack
    Map<Long, String> byRevision = new HashMap<>();
    for (Map.Entry<String, Observed> e : all.entrySet()) {
      String other = byRevision.put(e.getValue().modRevision(), e.getKey());
      if (other != null) {
        problems.add(
            "keys "
                + other
                + " and "
                + e.getKey()
                + " share mod_revision "
                + e.getValue().modRevision());
      }
    }
    TreeSet<Long> revisions = new TreeSet<>(byRevision.keySet());
    long maxAcked = ledger.maxAckedRevision();
    if (revision < maxAcked) {
      problems.add(
          "status revision "
              + revision
              + " is below the highest acknowledged revision "
              + maxAcked);
    }
    if (!revisions.isEmpty() && revisions.last() != revision) {
      problems.add(
          "status revision "
              + revision
              + " differs from the highest mod_revision "
              + revisions.last());
    }
    List<Long> gaps = new ArrayList<>();
    for (long rev = 1; rev <= revision && gaps.size() < 20; rev++) {
      if (!revisions.contains(rev)) {
        gaps.add(rev);
      }
    }
    if (!gaps.isEmpty()) {
      problems.add(
          "revisions 1.." + revision + " are not all taken by a key; missing (first 20): " + gaps);
    }
    if (status.path("keys").asLong(-1) != all.size()) {
      problems.add(
          "status counts " + status.path("keys") + " keys, a range read found " + all.size());
    }
    for (Map.Entry<String, Long> e : ledger.acked.entrySet()) {
      Ledger.Write w = ledger.sent.get(e.getKey());
      if (w != null && w.cycle() == cycle && e.getValue() <= previousRevision) {
        problems.add(
            "write "
                + e.getKey()
                + " of cycle "
                + cycle
                + " was acknowledged at revision "
                + e.getValue()
                + ", not above the revision recovered before it, "
                + previousRevision);
      }
    }

    // point reads agree with the range read: a sample of acknowledged keys and every in-flight one
    List<String> sample = new ArrayList<>(ledger.acked.keySet());
    Collections.shuffle(sample, random);
    Set<String> pointKeys = new HashSet<>(sample.subList(0, Math.min(100, sample.size())));
    ledger.sent.values().stream()
        .filter(w -> w.cycle() == cycle && !ledger.acked.containsKey(w.key()))
        .forEach(w -> pointKeys.add(w.key()));
    for (String key : pointKeys) {
      HttpResponse<String> r =
          send(server, HttpRequest.newBuilder(server.uri("/v1/kv/" + key)).GET());
      Observed o = all.get(key);
      if (r.statusCode() == 404) {
        if (o != null) {
          problems.add("GET " + key + " is 404 but the range read has it");
        }
      } else if (r.statusCode() != 200) {
        problems.add("GET " + key + " answered " + r.statusCode() + ": " + r.body());
      } else {
        JsonNode kv = JSON.readTree(r.body()).path("kv");
        if (o == null
            || !kv.path("value").asText().equals(o.value())
            || kv.path("mod_revision").asLong() != o.modRevision()) {
          problems.add("GET " + key + " answered " + r.body() + ", the range read " + o);
        }
      }
    }

    // the next write takes the next revision
    String probe = WriteLoad.PREFIX + "probe/" + cycle;
    String probeValue = "probe after restart " + cycle + " nonce=" + nonce;
    ledger.sent.put(probe, new Ledger.Write(probe, probeValue, -1, cycle));
    long probeRevision = put(server, probe, probeValue);
    ledger.recordAck(probe, probeRevision);
    if (probeRevision != revision + 1) {
      problems.add(
          "the first write after restart got revision "
              + probeRevision
              + ", not the recovered revision + 1 = "
              + (revision + 1));
    }

    if (!problems.isEmpty()) {
      fail(
          "after restart %d (%s): %d problem(s); %s%n  %s",
          cycle,
          server,
          problems.size(),
          ctx(),
          String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
    }
    return new Recovery(probeRevision, all.size() + 1, present, absent, millisSince(t0));
  }

  /** Returns 1 if {@code key} is missing, 0 otherwise; records any problem. */
  private static int checkPresent(
      String key,
      long revision,
      String what,
      Ledger ledger,
      Map<String, Observed> all,
      List<String> problems) {
    Ledger.Write w = ledger.sent.get(key);
    Observed o = all.get(key);
    if (o == null) {
      problems.add(what + " write " + key + " (revision " + revision + ") is missing");
      return 1;
    }
    if (!o.value().equals(w.value())) {
      problems.add(
          what + " write " + key + " has value '" + o.value() + "', expected '" + w.value() + "'");
    }
    if (o.modRevision() != revision || o.createRevision() != revision || o.version() != 1) {
      problems.add(what + " write " + key + " at revision " + revision + " reads back as " + o);
    }
    return 0;
  }

  private Map<String, Observed> readPrefix(
      CairnProcess server, String prefix, List<String> problems) throws Exception {
    JsonNode body = getJson(server, "/v1/kv/" + prefix + "?prefix=true");
    if (body.path("more").asBoolean(true)) {
      problems.add("the prefix read of " + prefix + " says more=" + body.path("more"));
    }
    Map<String, Observed> out = new HashMap<>();
    for (JsonNode kv : body.path("kvs")) {
      out.put(
          kv.path("key").asText(),
          new Observed(
              kv.path("value").asText(),
              kv.path("mod_revision").asLong(),
              kv.path("create_revision").asLong(),
              kv.path("version").asLong()));
    }
    if (body.path("count").asLong(-1) != out.size()) {
      problems.add("the prefix read counts " + body.path("count") + " but holds " + out.size());
    }
    return out;
  }

  // ==================================================================== helpers

  private CairnProcess start(Path data, String log) throws IOException {
    return start(data, log, List.of());
  }

  private CairnProcess start(Path data, String log, List<String> jvmOptions) throws IOException {
    CairnProcess p = CairnProcess.start(data, work.resolve(log), READY_TIMEOUT, jvmOptions);
    servers.add(p);
    return p;
  }

  private long put(CairnProcess server, String key, String value) throws Exception {
    HttpResponse<String> r =
        send(
            server,
            HttpRequest.newBuilder(server.uri("/v1/kv/" + key))
                .PUT(HttpRequest.BodyPublishers.ofString(value)));
    assertThat(r.statusCode()).as("PUT %s: %s; %s", key, r.body(), ctx()).isEqualTo(200);
    return JSON.readTree(r.body()).path("revision").asLong();
  }

  private JsonNode get(CairnProcess server, String key) throws Exception {
    return getJson(server, "/v1/kv/" + key);
  }

  private JsonNode getJson(CairnProcess server, String path) throws Exception {
    HttpResponse<String> r = send(server, HttpRequest.newBuilder(server.uri(path)).GET());
    assertThat(r.statusCode()).as("GET %s: %s; %s", path, r.body(), ctx()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private HttpResponse<String> send(CairnProcess server, HttpRequest.Builder b) throws Exception {
    return http.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Polls {@code condition} every 10 ms until it holds; fails with {@code state} at the deadline.
   */
  private void await(
      BooleanSupplier condition,
      Duration timeout,
      String what,
      java.util.function.Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after %s waiting for %s (%s); %s", timeout, what, state.get(), ctx());
      }
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
    }
  }

  /** The files in {@code dir} with their sizes, for the figures printed. */
  private static String listing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return "(none)";
    }
    try (var files = Files.list(dir)) {
      return files
          .sorted()
          .map(f -> f.getFileName() + "=" + f.toFile().length())
          .toList()
          .toString();
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private String ctx() {
    return "seed="
        + seed
        + " (rerun with -Dcairn.it.seed="
        + seed
        + "), nonce="
        + nonce
        + ", work dir="
        + work;
  }
}
