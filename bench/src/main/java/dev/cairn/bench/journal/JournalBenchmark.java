package dev.cairn.bench.journal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.persistence.journal.ForcedLog;
import dev.cairn.persistence.journal.JournalSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
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
    JournalRuns runs = new JournalRuns(this);
    if (rawWriteBytes > 0) {
      emit(runs.rawForce(rawWriteBytes, "before"));
    }
    for (int batchSize : batchSizes) {
      emit(runs.batches(batchSize));
    }
    if (writers > 0) {
      emit(runs.concurrent(writers));
    }
    if (rawWriteBytes > 0) {
      emit(runs.rawForce(rawWriteBytes, "after"));
    }
    return 0;
  }

  /** The journal settings of a run in {@code scratch}. */
  JournalSettings settings(Path scratch) {
    return JournalSettings.defaults(scratch).withFsync(fsync).withName("bench");
  }

  private void emit(Map<String, Object> line) throws IOException {
    System.out.println(json.writeValueAsString(line));
    System.out.flush();
  }
}
