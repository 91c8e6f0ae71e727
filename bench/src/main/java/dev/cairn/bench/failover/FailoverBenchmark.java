package dev.cairn.bench.failover;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.report.Figures;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Write unavailability when the leader of a 3-member cluster is killed: for each of {@code --kills}
 * rounds, with {@code --clients} clients writing without pause, {@code kill -9} of the current
 * leader's process, the time until the first write sent after the kill is acknowledged, then a
 * restart of the killed member and a wait until the cluster is whole. The cluster is described by a
 * {@link ClusterFile} ({@code bin/bench failover} writes one for the etcd and ZooKeeper clusters it
 * starts; {@code bin/cairn cluster up} writes Cairn's); see the package documentation.
 *
 * <p>Exit status: 0 when every kill was recovered from and every killed member rejoined, 3 when not
 * (the JSON lines are printed either way), 1 when the run could not be set up, 2 on bad usage.
 */
@Command(
    name = "failover-benchmark",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Kills the leader of a 3-member cluster N times under writes; write unavailability per kill.")
public final class FailoverBenchmark implements Callable<Integer> {

  /** What is done to the leader. */
  public enum Fault {
    /** {@code kill -9}: the process is gone and the kernel closes its sockets at once. */
    KILL,
    /**
     * {@code kill -STOP}: the process hangs with its sockets open, as a machine that froze or left
     * the network does; the others notice only by their own timeouts. It is killed with {@code kill
     * -9} once writes are back, then restarted as after a kill.
     */
    STOP,
    /**
     * {@code SIGTERM}: a graceful shutdown (a leader may hand over first); waited for, then
     * restarted as after a kill.
     */
    TERM
  }

  /** The systems this benchmark knows. */
  public enum Kind {
    ETCD,
    ZOOKEEPER,
    CAIRN
  }

  @Option(
      names = "--cluster",
      required = true,
      description = "the cluster file: members' pids, command lines and addresses")
  Path cluster;

  @Option(
      names = "--target",
      description = "etcd, zookeeper or cairn (default: the cluster file's \"target\", else cairn)")
  Kind kind;

  @Option(
      names = "--fault",
      defaultValue = "kill",
      description =
          "kill (kill -9: gone, sockets closed), stop (kill -STOP: hung, sockets open, killed once"
              + " writes are back) or term (SIGTERM: graceful shutdown) (default: ${DEFAULT-VALUE})")
  Fault fault;

  @Option(
      names = "--kills",
      defaultValue = "10",
      description = "leader kills (default: ${DEFAULT-VALUE})")
  int kills;

  @Option(
      names = "--clients",
      defaultValue = "4",
      description = "concurrent writers, one write in flight each (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(
      names = "--write-timeout",
      defaultValue = "500ms",
      description = "a write not acknowledged this soon has failed (default: ${DEFAULT-VALUE})")
  Duration writeTimeout;

  @Option(
      names = "--backoff",
      defaultValue = "25ms",
      description = "pause after a failed write before the next (default: ${DEFAULT-VALUE})")
  Duration backoff;

  @Option(
      names = "--steady",
      defaultValue = "3s",
      description =
          "writes flowing on a whole cluster before each kill (default: ${DEFAULT-VALUE})")
  Duration steady;

  @Option(
      names = "--recover-timeout",
      defaultValue = "60s",
      description = "longest wait for the first write after a kill (default: ${DEFAULT-VALUE})")
  Duration recoverTimeout;

  @Option(
      names = "--rejoin-timeout",
      defaultValue = "120s",
      description =
          "longest wait for the restarted member to rejoin a whole cluster (default: ${DEFAULT-VALUE})")
  Duration rejoinTimeout;

  @Option(names = "--etcd-api", description = "etcd: gateway prefix, e.g. /v3 (default: detected)")
  String etcdApi;

  @Option(
      names = "--zk-session-timeout",
      defaultValue = "30s",
      description = "zookeeper: session timeout of each client (default: ${DEFAULT-VALUE})")
  Duration zkSessionTimeout;

  @Option(
      names = "--key-prefix",
      defaultValue = "bench/failover/",
      description = "client i writes key <prefix>c<i> (default: ${DEFAULT-VALUE})")
  String keyPrefix;

  @Option(
      names = "--value-size",
      defaultValue = "256",
      description = "bytes per value (default: ${DEFAULT-VALUE})")
  int valueSize;

  public static void main(String[] args) {
    Cli.main(Cli.commandLine(new FailoverBenchmark()), args);
  }

  @Override
  public Integer call() throws Exception {
    Cli.quietLibraryLogging();
    quietZooKeeperClient();
    PrintStream log = System.err;
    if (kills < 1 || clients < 1) {
      log.println("--kills and --clients must be positive");
      return 2;
    }
    ClusterFile file = ClusterFile.read(cluster);
    Kind k = kind != null ? kind : Kind.valueOf(file.target().toUpperCase(java.util.Locale.ROOT));
    List<WriteClient> writeClients = new ArrayList<>();
    ScheduledExecutorService scheduler = Cli.daemonScheduler("failover-writers");
    try (FailoverTarget target = target(k, file)) {
      try {
        target.prepare(clients);
        for (int i = 0; i < clients; i++) {
          writeClients.add(target.client(i));
        }
      } catch (Exception e) {
        log.printf("[failover] could not set up the clients: %s%n", e);
        writeClients.forEach(WriteClient::close);
        return 1;
      }
      FailoverRun.Settings settings =
          new FailoverRun.Settings(
              fault, kills, clients, writeTimeout, backoff, steady, recoverTimeout, rejoinTimeout);
      boolean ok;
      try (Writers writers = new Writers(writeClients, writeTimeout, backoff, scheduler)) {
        writers.start();
        ok = new FailoverRun(target, file, settings, writers, log, FailoverBenchmark::emit).run();
      }
      return ok ? 0 : 3;
    } finally {
      scheduler.shutdownNow();
    }
  }

  /**
   * The ZooKeeper client warns with a stack trace at every lost connection, which a kill causes by
   * design; keep it to errors unless a logback configuration is given.
   */
  private static void quietZooKeeperClient() {
    if (System.getProperty("logback.configurationFile") == null
        && org.slf4j.LoggerFactory.getLogger("org.apache.zookeeper")
            instanceof ch.qos.logback.classic.Logger zk) {
      zk.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  private FailoverTarget target(Kind k, ClusterFile file) throws Exception {
    List<Member> members = file.members();
    if (k == Kind.ETCD) {
      return new EtcdClusterTarget(members, etcdApi, keyPrefix, valueSize);
    } else if (k == Kind.ZOOKEEPER) {
      String parent = "/" + keyPrefix.replaceAll("/+$", "");
      return new ZooKeeperEnsembleTarget(members, zkSessionTimeout, parent, valueSize);
    } else if (k == Kind.CAIRN) {
      return new CairnTarget(members, keyPrefix, valueSize);
    }
    throw new IllegalStateException("unhandled " + k);
  }

  private static void emit(Map<String, Object> line) {
    try {
      System.out.println(Figures.json(line));
      System.out.flush();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
