package dev.cairn.bench.journal;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.report.Figures;
import dev.cairn.persistence.cassandra.CassandraJournalSettings;
import dev.cairn.persistence.cassandra.JournalSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures the Cassandra journal's own ceiling: the journal plugin {@code
 * cairn.persistence.cassandra-journal} driven through Pekko Persistence by persistent actors of
 * this program ({@link LwtWriter}), without HTTP, sharding or Cairn's leader.
 *
 * <p>Every run is P persistence ids, each with one write of B events in flight ({@code persistAll};
 * the journal makes each write one conditional batch, one lightweight transaction):
 *
 * <ul>
 *   <li>{@code --batch-sizes}: P = 1 and B from the list. B = 1 is the bare latency of one
 *       lightweight transaction; larger B is what group commit buys one namespace.
 *   <li>{@code --ids}: B = 1 and P from the list: how independent streams of transactions, one per
 *       namespace leader, add up.
 * </ul>
 *
 * <p>The keyspace ({@code --keyspace}) is created if missing and truncated at start, so runs are
 * comparable; the journal is started (a replay of an empty id) and warmed ({@code
 * --jit-warmup-seconds} of unmeasured writes) before the first run. A run's writes count when they
 * complete inside its window; afterwards the writers' highest sequence numbers are summed ({@code
 * written_events}, warmup included) and, with {@code --verify} (default), every id is replayed and
 * its events counted ({@code replayed_events}): the program exits with 1 when the two differ. One
 * JSON line per run on stdout.
 */
@Command(
    name = "cassandra-journal-benchmark",
    mixinStandardHelpOptions = true,
    description = "Write throughput and latency of the fenced Cassandra journal through Pekko.")
public final class CassandraJournalBenchmark implements Callable<Integer> {

  static final String PLUGIN = "cairn.persistence.cassandra-journal";

  @Option(
      names = "--cassandra",
      defaultValue = "127.0.0.1:9042",
      description = "CQL contact point, host:port (default: ${DEFAULT-VALUE}).")
  String cassandra;

  @Option(
      names = "--keyspace",
      defaultValue = "cairn_bench",
      description =
          "Keyspace, created if missing and truncated at start (default: ${DEFAULT-VALUE}).")
  String keyspace;

  @Option(
      names = "--batch-sizes",
      split = ",",
      defaultValue = "1,16,64",
      description = "Events per write, one persistence id (default: ${DEFAULT-VALUE}).")
  int[] batchSizes;

  @Option(
      names = "--ids",
      split = ",",
      defaultValue = "1,3,8",
      description =
          "Persistence ids writing one event at a time concurrently (default: ${DEFAULT-VALUE}).")
  int[] ids;

  @Option(
      names = "--payload-bytes",
      defaultValue = "256",
      description = "Event payload size (default: ${DEFAULT-VALUE}).")
  int payloadBytes;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "3",
      description = "Unmeasured seconds first (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--jit-warmup-seconds",
      defaultValue = "10",
      description =
          "Unmeasured writes before the first run, 8 ids of 16 events (default: ${DEFAULT-VALUE}).")
  double jitWarmupSeconds;

  @Option(
      names = "--verify",
      defaultValue = "true",
      arity = "1",
      description = "Replay every id after its run and compare counts (default: ${DEFAULT-VALUE}).")
  boolean verify;

  @Option(
      names = "--verbose",
      description = "Keep the default logging on stdout (otherwise only WARN and above).")
  boolean verbose;

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new CassandraJournalBenchmark()), args);
  }

  @Override
  public Integer call() throws Exception {
    if (!verbose) {
      Cli.quietLibraryLogging();
    }
    Config config = config();
    truncate(CassandraJournalSettings.fromConfig(config.getConfig(PLUGIN)));
    ActorSystem system = ActorSystem.create("cassandra-journal-bench", config);
    boolean consistent = true;
    try {
      // the journal starts (session, statements) on first use: not inside the first run's window
      CompletableFuture<ReplayCounter.Replayed> started = new CompletableFuture<>();
      system.actorOf(ReplayCounter.props("bench-start", payloadBytes, started), "bench-start");
      started.get(5, TimeUnit.MINUTES);
      warm(system);
      List<int[]> runs = new ArrayList<>();
      Arrays.stream(batchSizes).forEach(b -> runs.add(new int[] {1, b}));
      Arrays.stream(ids).forEach(p -> runs.add(new int[] {p, 1}));
      for (int[] run : runs) {
        Map<String, Object> line = run(system, run[0], run[1]);
        System.out.println(Figures.json(line));
        System.out.flush();
        consistent &= !Boolean.FALSE.equals(line.get("consistent"));
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return consistent ? 0 : 1;
  }

  /** The actor system's configuration: the Cassandra journal on {@code --cassandra}. */
  Config config() {
    return ConfigFactory.parseMap(
            Map.of(
                "pekko.persistence.journal.plugin",
                PLUGIN,
                "pekko.persistence.snapshot-store.plugin",
                "pekko.persistence.no-snapshot-store",
                PLUGIN + ".contact-points",
                List.of(cassandra),
                PLUGIN + ".keyspace",
                keyspace,
                "pekko.loglevel",
                verbose ? "INFO" : "WARNING",
                "pekko.log-dead-letters",
                "off"))
        .withFallback(ConfigFactory.load());
  }

  /** Creates the journal's schema when missing and empties its tables. */
  static void truncate(CassandraJournalSettings settings) {
    JournalSchema.create(settings);
    DriverConfigLoader loader =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, settings.ddlTimeout())
            .build();
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoints(settings.contactPoints())
            .withLocalDatacenter(settings.localDatacenter())
            .withConfigLoader(loader)
            .build()) {
      session.execute("TRUNCATE " + settings.keyspace() + ".messages");
      session.execute("TRUNCATE " + settings.keyspace() + ".metadata");
    }
  }

  /**
   * Writes unmeasured for {@code --jit-warmup-seconds} with 8 ids of 16 events per write, so the
   * first run does not pay for the compilers of this JVM and of Cassandra's write path.
   */
  private void warm(ActorSystem system) throws Exception {
    if (jitWarmupSeconds <= 0) {
      return;
    }
    WriteWindow window = new WriteWindow();
    byte[] payload = new byte[payloadBytes];
    List<CompletableFuture<Long>> stopped = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      CompletableFuture<Long> done = new CompletableFuture<>();
      system.actorOf(LwtWriter.props("bench-warm-" + i, 16, payload, window, done));
      stopped.add(done);
    }
    Thread.sleep(Math.round(jitWarmupSeconds * 1000));
    window.close();
    for (CompletableFuture<Long> done : stopped) {
      done.get(2, TimeUnit.MINUTES);
    }
  }

  /** One run: {@code idCount} writers of {@code batchSize} events per write, then the replay. */
  private Map<String, Object> run(ActorSystem system, int idCount, int batchSize) throws Exception {
    WriteWindow window = new WriteWindow();
    byte[] payload = new byte[payloadBytes];
    Arrays.fill(payload, (byte) 'c');
    List<String> persistenceIds = new ArrayList<>();
    List<CompletableFuture<Long>> stopped = new ArrayList<>();
    for (int i = 0; i < idCount; i++) {
      String id = "bench-" + idCount + "x" + batchSize + "-" + i;
      CompletableFuture<Long> done = new CompletableFuture<>();
      system.actorOf(LwtWriter.props(id, batchSize, payload, window, done), id);
      persistenceIds.add(id);
      stopped.add(done);
    }
    // the window is timed by the clock; the writers need no signal but the flags
    Thread.sleep(Math.round(warmupSeconds * 1000));
    window.open();
    long start = System.nanoTime();
    Thread.sleep(Math.round(seconds * 1000));
    window.close();
    double elapsed = (System.nanoTime() - start) / 1e9;
    long written = 0;
    for (CompletableFuture<Long> done : stopped) {
      written += done.get(2, TimeUnit.MINUTES);
    }
    Map<String, Object> line = Figures.header("cassandra-journal");
    Histogram latency = window.latencyMicros();
    line.put("persistence_ids", idCount);
    line.put("batch_size", batchSize);
    line.put("payload_bytes", payloadBytes);
    line.put("seconds", Figures.round(elapsed, 2));
    line.put("writes", window.writes());
    line.put("events", window.events());
    line.put("writes_per_sec", Figures.round(window.writes() / elapsed, 1));
    line.put("events_per_sec", Figures.round(window.events() / elapsed, 1));
    line.put("writes_per_sec_per_id", Figures.round(window.writes() / elapsed / idCount, 1));
    line.put("p50_ms", Figures.ms(latency, 50));
    line.put("p99_ms", Figures.ms(latency, 99));
    line.put("p999_ms", Figures.ms(latency, 99.9));
    line.put("max_ms", Figures.ms(latency, 100));
    line.put("written_events", written);
    if (verify) {
      long replayed = 0;
      long unexpected = 0;
      long highest = 0;
      for (String id : persistenceIds) {
        CompletableFuture<ReplayCounter.Replayed> r = new CompletableFuture<>();
        system.actorOf(ReplayCounter.props(id, payloadBytes, r), id + "-replay");
        ReplayCounter.Replayed got = r.get(5, TimeUnit.MINUTES);
        replayed += got.events();
        unexpected += got.unexpected();
        highest += got.highestSequenceNr();
      }
      line.put("replayed_events", replayed);
      line.put("consistent", unexpected == 0 && replayed == written && highest == written);
    }
    line.put("cassandra", cassandra);
    line.put("keyspace", keyspace);
    return line;
  }
}
