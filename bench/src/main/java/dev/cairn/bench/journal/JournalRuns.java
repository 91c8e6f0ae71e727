package dev.cairn.bench.journal;

import dev.cairn.persistence.journal.ForcedLog;
import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The journal benchmark's runs, each in a scratch directory under {@code --dir} that is removed
 * afterwards: batches, concurrent writers, and the disk's raw forced appends.
 */
final class JournalRuns {
  private final JournalBenchmark o;

  JournalRuns(JournalBenchmark o) {
    this.o = o;
  }

  /** One append call in flight, each of {@code batchSize} single-event writes. */
  Map<String, Object> batches(int batchSize) throws Exception {
    Path scratch = Files.createTempDirectory(o.dir, "batch-" + batchSize + "-");
    try (ForcedLog log = ForcedLog.open(o.settings(scratch))) {
      EventSource source = new EventSource(o.persistenceIds, o.payloadBytes);
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
      long warmupEnd = System.nanoTime() + toNanos(o.warmupSeconds);
      while (System.nanoTime() < warmupEnd) {
        log.append(source.next(batchSize)).join();
      }
      ForcedLog.Stats before = log.stats();
      long start = System.nanoTime();
      long end = start + toNanos(o.seconds);
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
      Map<String, Object> r =
          JournalFigures.result(
              "batch", o.payloadBytes, o.fsync, elapsed, log.stats(), before, latency);
      r.put("batchSize", batchSize);
      r.put("batches", batches);
      r.put("forcedBatchesPerSec", JournalFigures.round(batches / elapsed));
      return r;
    } finally {
      deleteTree(scratch);
    }
  }

  /** {@code threads} writers appending one event at a time; group commit forms the batches. */
  Map<String, Object> concurrent(int threads) throws Exception {
    Path scratch = Files.createTempDirectory(o.dir, "concurrent-" + threads + "-");
    try (ForcedLog log = ForcedLog.open(o.settings(scratch))) {
      Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(10), 3);
      AtomicBoolean measuring = new AtomicBoolean(false);
      AtomicBoolean running = new AtomicBoolean(true);
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        EventSource source = new EventSource(1, o.payloadBytes, "writer-" + t);
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
          toNanos(o.warmupSeconds)); // the measurement window, not synchronisation
      ForcedLog.Stats before = log.stats();
      latency.reset();
      measuring.set(true);
      long start = System.nanoTime();
      TimeUnit.NANOSECONDS.sleep(toNanos(o.seconds));
      ForcedLog.Stats after = log.stats();
      double elapsed = (System.nanoTime() - start) / 1e9;
      Histogram h = latency.getIntervalHistogram();
      running.set(false);
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      Map<String, Object> r =
          JournalFigures.result("concurrent", o.payloadBytes, o.fsync, elapsed, after, before, h);
      r.put("writers", threads);
      return r;
    } finally {
      deleteTree(scratch);
    }
  }

  /** The disk's own forced appends of {@code writeBytes} in the same directory. */
  Map<String, Object> rawForce(int writeBytes, String when) throws Exception {
    Path file = Files.createTempFile(o.dir, "raw-force-", ".bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocateDirect(writeBytes);
      new Random(1).ints(writeBytes).forEach(i -> block.put((byte) i));
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
      long position = 0;
      long warmupEnd = System.nanoTime() + toNanos(o.warmupSeconds);
      while (System.nanoTime() < warmupEnd) {
        position += appendAndForce(ch, block, position);
      }
      long forces = 0;
      long start = System.nanoTime();
      long end = start + toNanos(o.seconds);
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
      r.put("seconds", JournalFigures.round(elapsed));
      r.put("forces", forces);
      r.put("forcesPerSec", JournalFigures.round(forces / elapsed));
      r.put("mbPerSec", JournalFigures.round(forces * (double) writeBytes / elapsed / (1 << 20)));
      r.put("latencyUs", JournalFigures.percentiles(latency));
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

  private static long toNanos(double secs) {
    return (long) (secs * 1e9);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
