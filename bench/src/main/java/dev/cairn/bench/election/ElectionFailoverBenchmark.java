package dev.cairn.bench.election;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.cli.EtcdApi;
import dev.cairn.bench.cli.TargetUrl;
import dev.cairn.bench.cli.ZooKeeperOptions;
import dev.cairn.bench.failover.Distribution;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.report.Figures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Election failover time: {@code --candidates} {@link Candidate} processes campaign in one
 * election; {@code --kills} times the leader's process is killed with SIGKILL (at a random moment
 * within a third of the TTL, so the kill falls anywhere between two lease renewals) and the time
 * from the kill to the next candidate's notification that it leads is taken; a fresh candidate then
 * takes the dead one's place at the back of the queue. Prints one JSON line: the failover times'
 * distribution (ms) and every value. Exit status: 0 when every kill was followed by a new leader, 3
 * otherwise, 2 on bad usage.
 *
 * <p>What bounds the figure is the same on all three: the dead leader's lease (Cairn, etcd) or
 * session (ZooKeeper) has to expire, {@code --ttl} seconds after its last renewal, and the server
 * has to notice (Cairn checks leases every 100 ms, etcd every 500 ms, ZooKeeper expires sessions in
 * buckets of its tick, 2 s under {@code bin/bench}); then the next candidate is told.
 */
@Command(
    name = "election-failover",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Time from killing the leader's process to the next leader's notification.")
public final class ElectionFailoverBenchmark implements Callable<Integer> {

  /** The election services. */
  public enum Target {
    CAIRN,
    ETCD,
    ZOOKEEPER
  }

  @Option(names = "--target", description = "cairn, etcd or zookeeper (default: ${DEFAULT-VALUE})")
  Target target = Target.CAIRN;

  @Option(
      names = "--candidates",
      description = "candidate processes in the election at each kill (default: ${DEFAULT-VALUE})")
  int candidates = 3;

  @Option(
      names = "--kills",
      description = "leader processes killed, one failover each (default: ${DEFAULT-VALUE})")
  int kills = 10;

  @Option(
      names = "--ttl",
      description =
          "lease TTL (Cairn, etcd) or session timeout (ZooKeeper; at least 2 ticks, 4 s under"
              + " bin/bench), seconds (default: ${DEFAULT-VALUE})")
  int ttl = 5;

  @Mixin TargetUrl url;

  @Mixin EtcdApi etcdApi;

  @Mixin ZooKeeperOptions zooKeeper;

  private final PrintStream out = System.out;
  private final PrintStream log = System.err;
  private final List<Child> children = new ArrayList<>();
  private final String election = "failover-" + Long.toHexString(System.nanoTime());

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new ElectionFailoverBenchmark()), args);
  }

  /** A candidate process and what it said. */
  private static final class Child {
    final String label;
    final Process process;
    volatile boolean campaigning;
    volatile long campaigningAt;
    volatile long electedAt;

    Child(String label, Process process) {
      this.label = label;
      this.process = process;
    }
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    if (candidates < 2 || kills <= 0 || ttl <= 0) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "candidates >= 2, kills and ttl positive");
    }
    List<String> targetArgs = new ArrayList<>(List.of("--target", target.name()));
    switch (target) {
      case CAIRN -> targetArgs.addAll(List.of("--url", url.resolve(false).toString()));
      case ETCD -> {
        try (HttpTransport probe = new HttpTransport(url.resolve(true), 1)) {
          targetArgs.addAll(
              List.of("--url", url.resolve(true).toString(), "--etcd-api", etcdApi.resolve(probe)));
        }
      }
      case ZOOKEEPER -> targetArgs.addAll(List.of("--zk-connect", zooKeeper.connect()));
    }
    log.printf(
        "[%s] election failover: %d candidates, %d kills, ttl %d s%n",
        target.name().toLowerCase(), candidates, kills, ttl);
    Random random = new Random();
    List<Double> failoverMs = new ArrayList<>();
    int missed = 0;
    try {
      for (int i = 0; i < candidates; i++) {
        start(targetArgs);
      }
      Child leader = awaitLeader(null, System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
      for (int k = 1; k <= kills && leader != null; k++) {
        awaitQueued();
        // Anywhere between two renewals of the leader's lease (a third of the TTL apart).
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(ttl * 333)));
        long at = System.nanoTime();
        leader.process.destroyForcibly();
        leader.process.waitFor(30, TimeUnit.SECONDS);
        Child next = awaitLeader(leader, at + TimeUnit.SECONDS.toNanos(ttl * 4L + 30));
        if (next == null) {
          missed++;
          log.printf("[%s] kill %d: no new leader%n", target.name().toLowerCase(), k);
          break;
        }
        double ms = (next.electedAt - at) / 1e6;
        failoverMs.add(ms);
        log.printf(
            "[%s] kill %d of %s: %s leads %.1f ms later%n",
            target.name().toLowerCase(), k, leader.label, next.label, ms);
        leader = next;
        start(targetArgs); // the dead one's place, at the back of the queue
      }
    } finally {
      for (Child c : children) {
        c.process.destroyForcibly();
      }
      for (Child c : children) {
        c.process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    Map<String, Object> line = Figures.header("election_failover");
    line.put("target", target.name().toLowerCase());
    line.put("candidates", candidates);
    line.put("ttl_s", ttl);
    line.put("kills", failoverMs.size() + missed);
    line.put("failover_ms", Distribution.of(failoverMs).json());
    line.put("failover_ms_all", failoverMs.stream().map(v -> Figures.round(v, 1)).toList());
    line.put("missed", missed);
    out.println(Figures.json(line));
    out.flush();
    return missed == 0 && !failoverMs.isEmpty() ? 0 : 3;
  }

  private void start(List<String> targetArgs) throws IOException {
    String label = "c" + (children.size() + 1);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xms32m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Candidate.class.getName()));
    cmd.addAll(targetArgs);
    cmd.addAll(List.of("--ttl", "" + ttl, "--election", election, "--label", label));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Child c = new Child(label, p);
    children.add(c);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                  if (l.equals("campaigning")) {
                    c.campaigningAt = System.nanoTime();
                    c.campaigning = true;
                  } else if (l.startsWith("elected ")) {
                    c.electedAt = Long.parseLong(l.substring(8));
                  }
                }
              } catch (IOException e) {
                // the process is gone
              }
            },
            "candidate-" + label);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Waits until every live candidate campaigns, the last for at least half a second (it is queued
   * on the server by then).
   */
  private void awaitQueued() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      long last = 0;
      for (Child c : children) {
        if (c.process.isAlive()) {
          all &= c.campaigning;
          last = Math.max(last, c.campaigningAt);
        }
      }
      if (all && System.nanoTime() - last > TimeUnit.MILLISECONDS.toNanos(500)) {
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    throw new IllegalStateException("candidates did not all start campaigning within 120 s");
  }

  /** The live candidate that leads, other than {@code old}; null when none by {@code deadline}. */
  private Child awaitLeader(Child old, long deadline) {
    while (System.nanoTime() < deadline) {
      for (Child c : children) {
        if (c != old && c.electedAt != 0 && c.process.isAlive()) {
          return c;
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return null;
  }
}
