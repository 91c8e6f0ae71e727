package dev.cairn.http.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.persistence.journal.ForcedLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A node whose data directory is a real 32 MiB filesystem (tmpfs) that runs full: writes fail fast
 * with 507 {@code insufficient_storage}, nothing unacknowledged is visible, {@code /ready} and
 * {@code /metrics} say so, the journal logs the state changes once each, and when space is freed
 * writes resume without a restart and every acknowledged write is still there.
 */
class DiskFullTest {

  private Path mount;
  private boolean mounted;
  private TestServer node;
  private final ListAppender<ILoggingEvent> journalLog = new ListAppender<>();
  private final Logger journalLogger = (Logger) LoggerFactory.getLogger(ForcedLog.class);
  private Level journalLevel;

  @BeforeEach
  void mountSmallFilesystem() throws Exception {
    Path root = Files.createDirectories(Path.of("target", "test-data"));
    mount = Files.createTempDirectory(root, "disk-full-").toAbsolutePath();
    String failure = run("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount.toString());
    assumeTrue(failure == null, "cannot mount a tmpfs here (needs root): " + failure);
    mounted = true;
    journalLevel = journalLogger.getLevel();
    journalLogger.setLevel(Level.INFO);
    journalLog.start();
    journalLogger.addAppender(journalLog);
  }

  @AfterEach
  void unmount() throws Exception {
    journalLogger.detachAppender(journalLog);
    journalLogger.setLevel(journalLevel);
    if (node != null) {
      node.close();
    }
    if (mounted && run("umount", mount.toString()) != null) {
      run("umount", "-l", mount.toString());
    }
  }

  @Test
  @Timeout(300)
  void writesFailFastWhileTheDiskIsFullAndResumeByThemselvesWhenSpaceIsFreed() throws Exception {
    node =
        TestServer.start(
            Map.of(
                "cairn.persistence.journal.dir",
                mount.resolve("journal").toString(),
                "cairn.persistence.snapshot-store.dir",
                mount.resolve("snapshots").toString(),
                "cairn.persistence.journal.resume-free-space",
                "4MiB",
                "cairn.persistence.journal.retry-interval",
                "100ms",
                "cairn.persistence.snapshot-store.min-free-space",
                "8MiB",
                "cairn.namespace.snapshot-every",
                20));
    Map<String, Acked> acked = new LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      put(acked, "before/" + i, 1024);
    }

    Path filler = mount.resolve("filler");
    fill(filler, 3L << 20);
    List<Long> refusals = new ArrayList<>();
    int written = 0;
    for (int i = 0; i < 400 && refusals.size() < 15; i++) {
      String key = "full/" + i;
      long t0 = System.nanoTime();
      Resp r = node.put("/v1/kv/" + key, value(key, 64 * 1024));
      long nanos = System.nanoTime() - t0;
      if (r.status() == 200) {
        acked.put(key, new Acked(r.revision(), value(key, 64 * 1024)));
        written++;
        continue;
      }
      r.problem(507, "insufficient_storage");
      assertThat(r.json().path("detail").asText()).contains(mount.resolve("journal").toString());
      refusals.add(nanos);
      // The write that hit the full disk restarts its leader: a read meanwhile may get 503 (retry).
      TestServer.await(
          Duration.ofSeconds(30),
          "the namespace to answer reads again",
          () -> node.getKey(key).status() != 503);
      assertThat(node.getKey(key).status()).as("a refused write is not visible").isEqualTo(404);
    }
    assertThat(refusals).as("writes were refused once the disk was full").hasSize(15);
    List<Long> sorted = refusals.stream().sorted().toList();
    long median = sorted.get(sorted.size() / 2);
    long slowest = sorted.get(sorted.size() - 1);
    System.out.printf(
        "disk full after %d more writes; refusals took %s ms (median %.1f ms, slowest %.1f ms)%n",
        written,
        refusals.stream().map(n -> String.format("%.1f", n / 1e6)).toList(),
        median / 1e6,
        slowest / 1e6);
    // Each was a 507, none a 503 timeout (5 s), so none waited for the ask timeout. On a quiet
    // machine they take milliseconds; the bounds leave room for a heavily loaded one.
    assertThat(Duration.ofNanos(median)).as("median refusal").isLessThan(Duration.ofSeconds(1));
    assertThat(Duration.ofNanos(slowest))
        .as("every refusal, the first one (the failed write) included, is fast")
        .isLessThan(Duration.ofSeconds(4));

    node.get("/ready").problem(507, "insufficient_storage");
    String metrics = node.get("/metrics").text();
    assertThat(metrics).containsPattern("cairn_journal_no_space\\{[^}]*} 1\\.0");
    assertThat(metrics).containsPattern("cairn_journal_free_bytes\\{[^}]*} \\d");
    assertThat(metrics)
        .containsPattern("cairn_journal_write_failures_total\\{[^}]*no_space[^}]*} 1\\.0");
    assertThat(node.getKey("before/0").status()).as("reads still work").isEqualTo(200);

    Files.delete(filler);
    TestServer.await(
        Duration.ofSeconds(60),
        "/ready after space was freed",
        () -> node.get("/ready").status() == 200);
    for (int i = 0; i < 30; i++) {
      put(acked, "after/" + i, 1024);
    }
    assertThat(node.get("/metrics").text())
        .containsPattern("cairn_journal_no_space\\{[^}]*} 0\\.0");
    checkEveryAcknowledgedWrite(acked);

    List<String> errors = lines(Level.ERROR);
    assertThat(errors).as("one line when the disk filled, not one per failed write").hasSize(1);
    assertThat(errors.get(0))
        .contains("out of space")
        .contains(mount.resolve("journal").toString());
    assertThat(journalLog.list.stream().filter(e -> e.getThrowableProxy() != null))
        .as("no stack trace for a full disk")
        .isEmpty();
    assertThat(lines(Level.INFO)).filteredOn(m -> m.contains("writes resume")).hasSize(1);

    node.restart();
    checkEveryAcknowledgedWrite(acked);
  }

  private record Acked(long revision, String value) {}

  private void put(Map<String, Acked> acked, String key, int size) {
    String v = value(key, size);
    Resp r = node.putKv(null, key, v);
    acked.put(key, new Acked(r.revision(), v));
  }

  private void checkEveryAcknowledgedWrite(Map<String, Acked> acked) {
    for (Map.Entry<String, Acked> e : acked.entrySet()) {
      Resp r = node.getKey(e.getKey());
      assertThat(r.status()).as("acknowledged %s", e.getKey()).isEqualTo(200);
      assertThat(r.json().path("kv").path("mod_revision").asLong())
          .isEqualTo(e.getValue().revision());
      assertThat(r.json().path("kv").path("value").asText()).isEqualTo(e.getValue().value());
    }
  }

  private List<String> lines(Level level) {
    synchronized (journalLog.list) {
      return journalLog.list.stream()
          .filter(e -> e.getLevel() == level)
          .map(ILoggingEvent::getFormattedMessage)
          .toList();
    }
  }

  private static String value(String key, int size) {
    StringBuilder b = new StringBuilder(size);
    while (b.length() < size) {
      b.append(key).append(';');
    }
    return b.substring(0, size);
  }

  /** Fills the filesystem with {@code file} until about {@code leave} bytes are free. */
  private void fill(Path file, long leave) throws IOException {
    byte[] chunk = new byte[1 << 20];
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long want = Files.getFileStore(mount).getUsableSpace() - leave;
      while (want > 0) {
        int n = (int) Math.min(chunk.length, want);
        ch.write(ByteBuffer.wrap(chunk, 0, n));
        want -= n;
      }
    }
  }

  /** Runs a command; null if it succeeded, else its output. */
  private static String run(String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.toString();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out: " + String.join(" ", command);
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out.trim();
  }
}
