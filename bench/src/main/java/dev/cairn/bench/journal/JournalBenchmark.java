package dev.cairn.bench.journal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.persistence.journal.ForcedLog;
import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
import dev.cairn.persistence.journal.ForcedLog.Event;
import dev.cairn.persistence.journal.ForcedLog.Write;
import dev.cairn.persistence.journal.JournalSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures the journal's own ceiling, without Pekko or HTTP: the {@link ForcedLog} writer driven
 * directly.
 *
 * <ul>
 *   <li>{@code batch}: one append call in flight at a time, each carrying {@code batchSize}
 *       single-event atomic writes, so every force covers exactly one batch. Reports forced
 *       batches/s and events/s.
 *   <li>{@code concurrent}: {@code --writers} threads each appending one event at a time; the batch
 *       size is whatever group commit forms on its own.
 *   <li>{@code raw-force}: the disk's own forced-append rate in the same directory ({@code
 *       --raw-write-bytes} appended, then {@code FileChannel.force}), taken before and after the
 *       journal runs.
 * </ul>
 *
 * Prints one JSON line per configuration on stdout.
 */
@Command(
    name = "journal-benchmark",
    mixinStandardHelpOptions = true,
    description =
        "Forced-write throughput of the Cairn journal versus the disk's raw forced-write rate.")
public final class JournalBenchmark implements Callable<Integer> {

  @Option(
      names = "--dir",
      defaultValue = "target/journal-bench",
      description =
          "Directory on the disk under test; scratch subdirectories are created and removed "
              + "(default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--batch-sizes",
      split = ",",
      defaultValue = "1,16,64,256",
      description = "Events per forced batch (default: ${DEFAULT-VALUE}).")
  int[] batchSizes;

  @Option(
      names = "--payload-bytes",
      defaultValue = "256",
      description = "Event payload size (default: ${DEFAULT-VALUE}).")
  int payloadBytes;

  @Option(
      names = "--seconds",
      defaultValue = "3",
      description = "Measured seconds per configuration (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "1",
      description = "Unmeasured seconds first (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--fsync",
      defaultValue = "true",
      arity = "1",
      description =
          "Force each batch (default: ${DEFAULT-VALUE}); false measures the unsafe test mode.")
  boolean fsync;

  @Option(
      names = "--writers",
      defaultValue = "64",
      description = "Threads for the concurrent mode, 0 to skip it (default: ${DEFAULT-VALUE}).")
  int writers;

  @Option(
      names = "--raw-write-bytes",
      defaultValue = "4096",
      description = "Bytes per raw forced append, 0 to skip (default: ${DEFAULT-VALUE}).")
  int rawWriteBytes;

  @Option(
      names = "--persistence-ids",
      defaultValue = "64",
      description =
          "Distinct persistence ids the events are spread over (default: ${DEFAULT-VALUE}).")
  int persistenceIds;

  @Option(
      names = "--verbose",
      description = "Keep the default logging on stdout (otherwise only WARN and above).")
  boolean verbose;

  private final ObjectMapper json = new ObjectMapper();

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new JournalBenchmark()), args);
  }

  @Override
  public Integer call() throws Exception {
    if (!verbose) {
      Cli.quietLibraryLogging();
    }
    Files.createDirectories(dir);
    // the raw rate is taken before and after, so drift from other load on a shared disk shows
    if (rawWriteBytes > 0) {
      emit(runRawForce(rawWriteBytes, "before"));
    }
    for (int batchSize : batchSizes) {
      emit(runBatches(batchSize));
    }
    if (writers > 0) {
      emit(runConcurrent(writers));
    }
    if (rawWriteBytes > 0) {
      emit(runRawForce(rawWriteBytes, "after"));
    }
    return 0;
  }

  private Map<String, Object> runBatches(int batchSize) throws Exception {
    Path scratch = Files.createTempDirectory(dir, "batch-" + batchSize + "-");
    try (ForcedLog log = ForcedLog.open(settings(scratch))) {
      EventSource source = new EventSource(persistenceIds, payloadBytes);
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
      long warmupEnd = System.nanoTime() + toNanos(warmupSeconds);
      while (System.nanoTime() < warmupEnd) {
        log.append(source.next(batchSize)).join();
      }
      ForcedLog.Stats before = log.stats();
      long start = System.nanoTime();
      long end = start + toNanos(seconds);
      long batches = 0;
      long now = start;
      while (now < end) {
        List<EncodedWrite> batch = source.next(batchSize);
        log.append(batch).join();
        long done = System.nanoTime();
        latency.recordValue(done - now);
        now = done;
        batches++;
      }
      double elapsed = (now - start) / 1e9;
      Map<String, Object> r = result("batch", elapsed, log.stats(), before, latency);
      r.put("batchSize", batchSize);
      r.put("batches", batches);
      r.put("forcedBatchesPerSec", round(batches / elapsed));
      return r;
    } finally {
      deleteTree(scratch);
    }
  }

  private Map<String, Object> runConcurrent(int threads) throws Exception {
    Path scratch = Files.createTempDirectory(dir, "concurrent-" + threads + "-");
    try (ForcedLog log = ForcedLog.open(settings(scratch))) {
      Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(10), 3);
      AtomicBoolean measuring = new AtomicBoolean(false);
      AtomicBoolean running = new AtomicBoolean(true);
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        EventSource source = new EventSource(1, payloadBytes, "writer-" + t);
        loops.add(
            CompletableFuture.runAsync(
                () -> {
                  while (running.get()) {
                    long started = System.nanoTime();
                    log.append(source.next(1)).join();
                    if (measuring.get()) {
                      latency.recordValue(System.nanoTime() - started);
                    }
                  }
                },
                runnable -> new Thread(runnable, "bench-writer").start()));
      }
      TimeUnit.NANOSECONDS.sleep(
          toNanos(warmupSeconds)); // the measurement window, not synchronisation
      ForcedLog.Stats before = log.stats();
      latency.reset();
      measuring.set(true);
      long start = System.nanoTime();
      TimeUnit.NANOSECONDS.sleep(toNanos(seconds));
      ForcedLog.Stats after = log.stats();
      double elapsed = (System.nanoTime() - start) / 1e9;
      Histogram h = latency.getIntervalHistogram();
      running.set(false);
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      Map<String, Object> r = result("concurrent", elapsed, after, before, h);
      r.put("writers", threads);
      return r;
    } finally {
      deleteTree(scratch);
    }
  }

  private Map<String, Object> runRawForce(int writeBytes, String when) throws Exception {
    Path file = Files.createTempFile(dir, "raw-force-", ".bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocateDirect(writeBytes);
      new Random(1).ints(writeBytes).forEach(i -> block.put((byte) i));
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
      long position = 0;
      long warmupEnd = System.nanoTime() + toNanos(warmupSeconds);
      while (System.nanoTime() < warmupEnd) {
        position += appendAndForce(ch, block, position);
      }
      long forces = 0;
      long start = System.nanoTime();
      long end = start + toNanos(seconds);
      long now = start;
      while (now < end) {
        position += appendAndForce(ch, block, position);
        long done = System.nanoTime();
        latency.recordValue(done - now);
        now = done;
        forces++;
      }
      double elapsed = (now - start) / 1e9;
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("benchmark", "raw-force");
      r.put("when", when);
      r.put("writeBytes", writeBytes);
      r.put("seconds", round(elapsed));
      r.put("forces", forces);
      r.put("forcesPerSec", round(forces / elapsed));
      r.put("mbPerSec", round(forces * (double) writeBytes / elapsed / (1 << 20)));
      r.put("latencyUs", percentiles(latency));
      return r;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static int appendAndForce(FileChannel ch, ByteBuffer block, long position)
      throws IOException {
    block.clear();
    int n = 0;
    while (block.hasRemaining()) {
      n += ch.write(block, position + n);
    }
    ch.force(false);
    return n;
  }

  private JournalSettings settings(Path scratch) {
    return JournalSettings.defaults(scratch).withFsync(fsync).withName("bench");
  }

  private Map<String, Object> result(
      String mode,
      double elapsed,
      ForcedLog.Stats after,
      ForcedLog.Stats before,
      Histogram latency) {
    long forces = after.forces() - before.forces();
    long groups = after.groups() - before.groups();
    long events = after.events() - before.events();
    long bytes = after.bytes() - before.bytes();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("benchmark", "journal");
    r.put("mode", mode);
    r.put("payloadBytes", payloadBytes);
    r.put("fsync", fsync);
    r.put("seconds", round(elapsed));
    r.put("forces", forces);
    r.put("forcesPerSec", round(forces / elapsed));
    r.put("eventsPerSec", round(events / elapsed));
    r.put("eventsPerGroup", groups == 0 ? 0 : round((double) events / groups));
    r.put("mbPerSec", round(bytes / elapsed / (1 << 20)));
    r.put("latencyUs", percentiles(latency));
    return r;
  }

  private static Map<String, Object> percentiles(Histogram h) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("p50", round(h.getValueAtPercentile(50) / 1e3));
    p.put("p99", round(h.getValueAtPercentile(99) / 1e3));
    p.put("p999", round(h.getValueAtPercentile(99.9) / 1e3));
    p.put("max", round(h.getMaxValue() / 1e3));
    return p;
  }

  private void emit(Map<String, Object> line) throws IOException {
    System.out.println(json.writeValueAsString(line));
    System.out.flush();
  }

  private static long toNanos(double secs) {
    return (long) (secs * 1e9);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /**
   * Keeps stdout to the JSON lines: logback's default configuration logs everything at DEBUG to
   * stdout.
   */
  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Single-event atomic writes with ascending sequence numbers per persistence id, spread
   * round-robin.
   */
  private static final class EventSource {
    private final String[] pids;
    private final long[] nextSeq;
    private final byte[] payload;
    private int cursor;

    EventSource(int persistenceIds, int payloadBytes) {
      this(persistenceIds, payloadBytes, "bench");
    }

    EventSource(int persistenceIds, int payloadBytes, String prefix) {
      pids = new String[persistenceIds];
      for (int i = 0; i < persistenceIds; i++) {
        pids[i] = prefix + "-" + i;
      }
      nextSeq = new long[persistenceIds];
      payload = new byte[payloadBytes];
      new Random(7).nextBytes(payload);
    }

    List<EncodedWrite> next(int count) {
      List<EncodedWrite> batch = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int p = cursor;
        cursor = (cursor + 1) % pids.length;
        batch.add(ForcedLog.encode(new Write(pids[p], List.of(new Event(++nextSeq[p], payload)))));
      }
      return batch;
    }
  }
}
