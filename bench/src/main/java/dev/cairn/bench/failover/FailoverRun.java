package dev.cairn.bench.failover;

import dev.cairn.bench.report.Figures;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The kills: with the {@link Writers} running, each round waits for a whole cluster and a steady
 * stream of acknowledgements, asks who leads, kills that process with {@code kill -9}, waits for
 * the first write sent after the kill to be acknowledged (polling meanwhile for the moment the
 * survivors name a new leader), restarts the killed member with its own command line, and waits
 * until the cluster is whole again. One JSON line per kill, then a summary line.
 */
final class FailoverRun {

  /** The run's settings, as the command reads them. */
  record Settings(
      FailoverBenchmark.Fault fault,
      int kills,
      int clients,
      Duration writeTimeout,
      Duration backoff,
      Duration steady,
      Duration recoverTimeout,
      Duration rejoinTimeout) {}

  /** Probes poll this often around a kill. */
  private static final Duration POLL = Duration.ofMillis(50);

  private final FailoverTarget target;
  private final ClusterFile file;
  private final Settings settings;
  private final Writers writers;
  private final PrintStream log;
  private final Consumer<Map<String, Object>> emit;

  FailoverRun(
      FailoverTarget target,
      ClusterFile file,
      Settings settings,
      Writers writers,
      PrintStream log,
      Consumer<Map<String, Object>> emit) {
    this.target = target;
    this.file = file;
    this.settings = settings;
    this.writers = writers;
    this.log = log;
    this.emit = emit;
  }

  /** Runs the kills; returns whether every kill was recovered from and every member rejoined. */
  boolean run() throws Exception {
    List<Double> unavailable = new ArrayList<>();
    List<Double> gaps = new ArrayList<>();
    List<Double> silences = new ArrayList<>();
    List<Double> elections = new ArrayList<>();
    List<Double> rejoins = new ArrayList<>();
    int done = 0;
    boolean ok = true;
    for (int kill = 1; kill <= settings.kills(); kill++) {
      Map<String, Object> line = round(kill);
      emit.accept(line);
      done++;
      if (!Boolean.TRUE.equals(line.get("recovered"))
          || !Boolean.TRUE.equals(line.get("rejoined"))) {
        ok = false;
        if (!Boolean.TRUE.equals(line.get("rejoined"))) {
          log.printf("[failover] the cluster did not become whole again; stopping the kills%n");
          break;
        }
      }
      add(unavailable, line.get("unavailable_ms"));
      add(gaps, line.get("gap_ms"));
      add(silences, line.get("silence_ms"));
      add(elections, line.get("new_leader_ms"));
      add(rejoins, line.get("rejoin_ms"));
    }
    Map<String, Object> summary = Figures.header("failover-summary");
    summary.put("target", target.name());
    summary.put("fault", settings.fault().name().toLowerCase(java.util.Locale.ROOT));
    summary.put("kills", done);
    summary.put("recovered", unavailable.size());
    summary.put("unavailable_ms", Distribution.of(unavailable).json());
    summary.put("gap_ms", Distribution.of(gaps).json());
    summary.put("silence_ms", Distribution.of(silences).json());
    summary.put("new_leader_ms", Distribution.of(elections).json());
    summary.put("rejoin_ms", Distribution.of(rejoins).json());
    describe(summary);
    emit.accept(summary);
    return ok && done == settings.kills();
  }

  private static void add(List<Double> values, Object v) {
    if (v instanceof Double d) {
      values.add(d);
    }
  }

  /** The settings of the run, the clients and the cluster, for the record. */
  void describe(Map<String, Object> m) {
    m.put("members", target.members().size());
    m.put("clients", settings.clients());
    m.put("write_timeout_ms", settings.writeTimeout().toMillis());
    m.put("backoff_ms", settings.backoff().toMillis());
    m.put("steady_ms", settings.steady().toMillis());
    m.putAll(target.clientSettings());
    m.put("cluster", file.settings());
  }

  private Map<String, Object> round(int kill) throws Exception {
    if (!await(settings.rejoinTimeout(), target::healthy)) {
      throw new IOException("the cluster is not whole before kill " + kill);
    }
    writers.clear();
    Thread.sleep(settings.steady().toMillis());
    steadyWrites(kill);
    int leader = -1;
    long askUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((leader = target.leader(-1)) < 0 && System.nanoTime() < askUntil) {
      Thread.sleep(POLL.toMillis());
    }
    if (leader < 0) {
      throw new IOException("no agreed leader before kill " + kill);
    }
    Member victim = file.member(leader);
    Processes.running(victim);

    long killed;
    if (settings.fault() == FailoverBenchmark.Fault.STOP) {
      // kill -STOP is a process of its own, slow to start on a loaded machine: the fault is
      // certain only once it has returned, and the stopped leader answers nothing sent after that.
      Processes.stop(victim);
      killed = System.nanoTime();
      writers.mark(killed);
    } else if (settings.fault() == FailoverBenchmark.Fault.TERM) {
      killed = System.nanoTime();
      writers.mark(killed);
      Processes.term(victim);
    } else {
      killed = System.nanoTime();
      writers.mark(killed);
      Processes.kill9(victim);
    }
    log.printf(
        "[failover] kill %d: %s %s (pid %d)%n",
        kill,
        switch (settings.fault()) {
          case STOP -> "kill -STOP";
          case TERM -> "kill -TERM";
          case KILL -> "kill -9";
        },
        victim.name(),
        victim.pid());

    // A leader shutting down gracefully may still answer until it exits: the outage ends with a
    // write sent after that. So may a killed one, for as long as SIGKILL takes to end it (on a
    // loaded machine a node answered a write sent 45 ms after the signal): the outage ends with a
    // write sent after its exit was seen.
    long servedUntil = killed;
    if (settings.fault() == FailoverBenchmark.Fault.KILL) {
      servedUntil = System.nanoTime(); // kill9 returns once the process has exited
      writers.mark(servedUntil);
    } else if (settings.fault() == FailoverBenchmark.Fault.TERM) {
      if (!Processes.awaitExit(victim, settings.recoverTimeout().toSeconds())) {
        log.printf("[failover] %s did not exit after SIGTERM; killing it%n", victim.name());
        Processes.kill9(victim);
      }
      servedUntil = System.nanoTime();
      writers.mark(servedUntil);
    }

    // Until the first write sent after the kill is acknowledged: who leads now, when first seen.
    long recoverBy = killed + settings.recoverTimeout().toNanos();
    long newLeaderAt = -1;
    int newLeader = -1;
    Writers.Ack first = null;
    while (first == null && System.nanoTime() < recoverBy) {
      if (newLeaderAt < 0) {
        int l = target.leader(leader);
        if (l >= 0 && l != leader) {
          newLeaderAt = System.nanoTime();
          newLeader = l;
        }
      }
      first = writers.awaitAckSentAfter(POLL);
    }
    long electBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (newLeaderAt < 0 && System.nanoTime() < electBy) {
      int l = target.leader(leader);
      if (l >= 0 && l != leader) {
        newLeaderAt = System.nanoTime();
        newLeader = l;
      } else {
        Thread.sleep(POLL.toMillis());
      }
    }
    Outage outage = Outage.of(killed, servedUntil, writers.acks(), writers.failures());
    if (settings.fault() == FailoverBenchmark.Fault.STOP) {
      // a stopped process dies of SIGKILL too; then it is restarted as after a kill
      Processes.kill9(victim);
    }

    long restarted = System.nanoTime();
    long pid = Processes.start(victim, file.directory(victim.index()));
    file.replacePid(victim.index(), pid);
    boolean whole = await(settings.rejoinTimeout(), target::healthy);
    long rejoined = System.nanoTime();

    Map<String, Object> line = Figures.header("failover");
    line.put("target", target.name());
    line.put("kill", kill);
    line.put("fault", settings.fault().name().toLowerCase(java.util.Locale.ROOT));
    line.put("leader", victim.name());
    line.put("new_leader", newLeader >= 0 ? target.members().get(newLeader).name() : null);
    line.put("recovered", outage.recovered());
    line.put("unavailable_ms", Figures.round(outage.unavailableMs(), 1));
    line.put("gap_ms", Figures.round(outage.gapMs(), 1));
    line.put("silence_ms", Figures.round(outage.silenceMs(), 1));
    line.put(
        "exited_ms", servedUntil == killed ? null : Figures.round((servedUntil - killed) / 1e6, 1));
    line.put(
        "new_leader_ms", newLeaderAt < 0 ? null : Figures.round((newLeaderAt - killed) / 1e6, 1));
    line.put("first_ack_member", outage.firstAckMember());
    line.put("failed_writes", outage.failedWrites());
    line.put("timed_out_writes", outage.timedOut());
    line.put("sample_failure", outage.sampleFailure());
    line.put("silence_from_ms", outage.silenceFromMs());
    line.put("failures", outage.failureLog());
    line.put("rejoined", whole);
    line.put("rejoin_ms", whole ? Figures.round((rejoined - restarted) / 1e6, 1) : null);
    line.put("restarted_pid", pid);
    log.printf(
        "[failover] kill %d: %s -> %s, unavailable %s ms, gap %s ms, silence %s ms, rejoined in %s"
            + " ms%n",
        kill,
        victim.name(),
        line.get("new_leader"),
        line.get("unavailable_ms"),
        line.get("gap_ms"),
        line.get("silence_ms"),
        line.get("rejoin_ms"));
    return line;
  }

  /** Waits until some write has been acknowledged in the last second (the stream flows). */
  private void steadyWrites(int kill) throws Exception {
    BooleanSupplier flowing =
        () -> {
          long now = System.nanoTime();
          return writers.acks().stream().anyMatch(a -> now - a.ackedNanos() < 1_000_000_000L);
        };
    if (!await(settings.recoverTimeout(), flowing)) {
      throw new IOException("no write acknowledged before kill " + kill);
    }
  }

  private static boolean await(Duration limit, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }
}
