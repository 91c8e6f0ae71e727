package dev.cairn.bench.watch;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.report.CpuWindow;
import dev.cairn.bench.report.ServerProbe;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The phases of one watch fan-out run against a peer: open the watches and wait for all of them,
 * write paced (aborting when the server stalls or dies), sample the CPU of both processes over the
 * measured window, then drain the deliveries, and hand everything to {@link FanoutReport}.
 */
final class FanoutRun {
  private final WatchFanout options;
  private final WatchPeer peer;
  private final ServerProbe server;
  private final PrintStream log;

  FanoutRun(WatchFanout options, WatchPeer peer, ServerProbe server, PrintStream log) {
    this.options = options;
    this.peer = peer;
    this.server = server;
    this.log = log;
  }

  /** Runs, prints the JSON line on {@code out} and returns the exit status. */
  int run(
      double[] loadAtStart,
      String runId,
      String watched,
      long warmupPuts,
      int totalPuts,
      PrintStream out)
      throws Exception {
    long r0 = peer.prepare(runId, watched, totalPuts);
    log.printf(
        "[watch] %s run %s: watches start after revision %d; %d watchers over %d connections on '%s'%s%n",
        peer.name(),
        runId,
        r0,
        options.watchers,
        peer.connections(),
        watched,
        options.coalesce ? ", coalesced" : "");
    List<? extends WatchTally> receivers = openWatches(watched, r0, warmupPuts);
    if (receivers == null) {
      return 1;
    }
    PacedWriter writer =
        new PacedWriter(peer, totalPuts, warmupPuts, options.maxInFlight, options.valueSize, log);
    ScheduledExecutorService sched = Cli.daemonScheduler("writer-pacer");
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    writer.start(sched, start, 1_000_000_000L / options.rate);
    ScheduledFuture<?> stallCheck = watchForStall(sched, writer);
    ScheduledFuture<?> progress =
        sched.scheduleAtFixedRate(
            () -> {
              long acked = writer.acked();
              long received = WatchTally.sum(receivers, r -> r.received.get());
              log.printf(
                  "[watch] t=%.0fs sent %d, acked %d, events received %d (%d%% of acked x watchers), closed %d%n",
                  (System.nanoTime() - start) / 1e9,
                  writer.next,
                  acked,
                  received,
                  Math.round(100.0 * received / Math.max(1, acked * (long) options.watchers)),
                  WatchTally.sum(receivers, WatchTally::closedCount));
            },
            5,
            5,
            TimeUnit.SECONDS);
    // sample CPU at the start of the measured window
    long sleep = start + warmupPuts * 1_000_000_000L / options.rate - System.nanoTime();
    if (sleep > 0) {
      TimeUnit.NANOSECONDS.sleep(sleep);
    }
    CpuWindow cpu = CpuWindow.start(server);
    writer.pacedAll.await();
    cpu.stop();
    try {
      writer.allDone.get(options.putTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.printf("[watch] %d puts still unanswered%n", writer.next - writer.completed.get());
    }
    stallCheck.cancel(false);
    long writerEnd = System.nanoTime();
    drain(receivers, writer, writerEnd);
    double drainS = (System.nanoTime() - writerEnd) / 1e9;
    progress.cancel(false);
    sched.shutdownNow();
    long rss = server.rssBytes();
    long closedEarly = WatchTally.sum(receivers, WatchTally::closedCount);
    peer.close();
    Thread.sleep(200);
    if (cpu.serverCpuSeconds() < 0) {
      log.printf("[watch] server CPU unknown (pid %d)%n", server.pid());
    }
    FanoutReport.Window w =
        new FanoutReport.Window(start, cpu, writerEnd, drainS, rss, closedEarly);
    FanoutReport report = new FanoutReport(options, peer, server, writer, receivers, r0, w);
    out.println(report.jsonLine(loadAtStart, totalPuts));
    out.flush();
    return report.clean() ? 0 : 3;
  }

  /** Opens the watches and waits for the server to confirm them all; null when it did not. */
  private List<? extends WatchTally> openWatches(String watched, long r0, long warmupPuts)
      throws Exception {
    long tCreate = System.nanoTime();
    List<? extends WatchTally> receivers = peer.open(watched, r0, warmupPuts);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (created(receivers) < options.watchers
        && System.nanoTime() < deadline
        && WatchTally.sum(receivers, r -> r.errors.get()) == 0) {
      Thread.sleep(20);
    }
    if (created(receivers) < options.watchers) {
      List<String> samples = new ArrayList<>();
      for (WatchTally rc : receivers) {
        synchronized (rc) {
          samples.addAll(rc.errorSamples);
        }
      }
      log.printf(
          "[watch] only %d of %d watches created; errors: %s%n",
          created(receivers), options.watchers, samples.subList(0, Math.min(5, samples.size())));
      peer.abort();
      return null;
    }
    log.printf(
        "[watch] %d watches created in %.2fs; writing %d puts/s for %.1fs warmup + %.1fs%n",
        options.watchers,
        (System.nanoTime() - tCreate) / 1e9,
        options.rate,
        options.window.warmupSeconds(),
        options.window.durationSeconds());
    return receivers;
  }

  private static long created(List<? extends WatchTally> receivers) {
    return WatchTally.sum(receivers, r -> r.created.get());
  }

  /** Aborts the writer when no put is acknowledged for --stall-timeout or the server is gone. */
  private ScheduledFuture<?> watchForStall(ScheduledExecutorService sched, PacedWriter writer) {
    long[] lastAcked = {0, System.nanoTime()};
    return sched.scheduleAtFixedRate(
        () -> {
          long acked = writer.acked();
          long now = System.nanoTime();
          if (acked != lastAcked[0]) {
            lastAcked[0] = acked;
            lastAcked[1] = now;
          } else if (now - lastAcked[1] > options.stallTimeout.toNanos()
              || (server.pid() > 0 && !server.known())) {
            if (writer.abort()) {
              log.printf(
                  "[watch] aborting: %s%n",
                  server.pid() > 0 && !server.known()
                      ? "the server process is gone"
                      : "no put acknowledged for " + options.stallTimeout.toSeconds() + "s");
            }
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
  }

  /**
   * Waits for every put sent to reach every watcher still open (a timed-out put may have been
   * applied too), unless deliveries stop for --drain-idle or --drain-timeout passes.
   */
  private void drain(List<? extends WatchTally> receivers, PacedWriter writer, long writerEnd)
      throws InterruptedException {
    long drainDeadline = writerEnd + options.drainTimeout.toNanos();
    long lastTotal = -1;
    long lastChange = System.nanoTime();
    while (System.nanoTime() < drainDeadline) {
      long total = WatchTally.sum(receivers, r -> r.received.get());
      long activeWatchers = options.watchers - WatchTally.sum(receivers, r -> r.cancelled.get());
      if (total >= (long) writer.next * activeWatchers || writer.aborted) {
        break;
      }
      if (total != lastTotal) {
        lastTotal = total;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > options.drainIdle.toNanos()) {
        break;
      }
      Thread.sleep(10);
    }
  }
}
