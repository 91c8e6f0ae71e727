package dev.cairn.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.http.cluster.ClusterSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code cairn} command line: {@code cairn server} starts a node. */
@Command(
    name = "cairn",
    mixinStandardHelpOptions = true,
    subcommands = {Main.Server.class},
    description = "Cairn, a coordination service.")
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    // With fewer than 2 common-pool threads (any 2-core machine) CompletableFuture runs every async
    // completion on a brand-new thread; that churn cost more CPU than serving the requests.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty(
          "java.util.concurrent.ForkJoinPool.common.parallelism",
          Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    int code = new CommandLine(new Main()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  @Command(name = "server", mixinStandardHelpOptions = true, description = "Start a Cairn node.")
  static final class Server implements Callable<Integer> {
    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "HTTP port (default ${DEFAULT-VALUE}; 0 = any free).")
    int port = 7070;

    @Option(
        names = "--ops-port",
        description =
            "Port of a second listener for /health, /ready and /metrics only, answered however"
                + " many clients are connected (default: none; 0 = any free).")
    Integer opsPort;

    @Option(
        names = "--data-dir",
        description =
            "Directory of the journal, the snapshots and, in a cluster, the file recording that"
                + " this node has been a member (default ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data");

    @Option(
        names = "--unsafe-no-fsync",
        description =
            "Do not force writes to disk. Loses acknowledged writes on power loss: tests only.")
    boolean noFsync;

    @Option(
        names = "--cluster-port",
        paramLabel = "P",
        description =
            "Port of cluster traffic between nodes, on 127.0.0.1 unless cairn.cluster.host says"
                + " otherwise (cairn.cluster.port; default: any free port, enough for one node).")
    Integer clusterPort;

    @Option(
        names = "--cluster-host",
        paramLabel = "HOST",
        description =
            "Address cluster traffic binds to and advertises to the other nodes, e.g. a pod's IP"
                + " (cairn.cluster.host; default 127.0.0.1).")
    String clusterHost;

    @Option(
        names = "--discovery",
        paramLabel = "none|kubernetes",
        description =
            "How a node without --seed finds its peers: none (it forms a cluster of its own, the"
                + " default) or kubernetes (Pekko Cluster Bootstrap through the Kubernetes API;"
                + " needs --journal cassandra) (cairn.cluster.discovery).")
    String discovery;

    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "A HOCON file of cairn.* and pekko.* keys, laid over the defaults; the options given"
                + " here and -Dkey=value system properties win over it.")
    Path configFile;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--seed",
        split = ",",
        paramLabel = "HOST:PORT",
        description =
            "Cluster ports of nodes to join, comma-separated (cairn.cluster.seeds). Without it the"
                + " node forms a cluster of its own. Needs --journal cassandra.")
    List<String> seeds;

    @Option(
        names = "--journal",
        paramLabel = "embedded|cassandra",
        description =
            "Where namespace leaders write: embedded (this node's forced log under --data-dir, the"
                + " default) or cassandra (shared by a cluster; needs --cassandra)"
                + " (cairn.cluster.journal).")
    String journal;

    @Option(
        names = "--cassandra",
        split = ",",
        paramLabel = "HOST:PORT",
        description = "Cassandra contact points for --journal cassandra (cairn.cluster.cassandra).")
    List<String> cassandra;

    /** Whether {@code option} was on the command line, or there is no --config file to defer to. */
    private boolean given(String option) {
      return configFile == null || spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    @Override
    public Integer call() throws Exception {
      Path dir = dataDir.toAbsolutePath();
      Map<String, Object> o = new HashMap<>();
      // Without a file every option counts, defaults included, as before; with one, an option left
      // at its default does not hide the file's value.
      if (given("--host")) {
        o.put("cairn.http.host", host);
      }
      if (given("--port")) {
        o.put("cairn.http.port", port);
      }
      if (opsPort != null) {
        o.put("cairn.http.ops.port", opsPort);
      }
      o.put("cairn.persistence.journal.dir", dir.resolve("journal").toString());
      o.put("cairn.persistence.snapshot-store.dir", dir.resolve("snapshots").toString());
      if (noFsync) {
        o.put("cairn.persistence.journal.fsync", "off");
        o.put("cairn.persistence.snapshot-store.fsync", "off");
      }
      o.put("cairn.cluster.member-file", dir.resolve("cluster-member").toString());
      if (clusterPort != null) {
        o.put("cairn.cluster.port", clusterPort);
      }
      if (clusterHost != null) {
        o.put("cairn.cluster.host", clusterHost);
      }
      if (discovery != null) {
        o.put("cairn.cluster.discovery", discovery);
      }
      if (seeds != null) {
        o.put("cairn.cluster.seeds", seeds);
      }
      if (journal != null) {
        o.put("cairn.cluster.journal", journal);
      }
      if (cassandra != null) {
        o.put("cairn.cluster.cassandra", cassandra);
      }
      Config config = ConfigFactory.systemProperties().withFallback(ConfigFactory.parseMap(o));
      if (configFile != null) {
        if (!java.nio.file.Files.isReadable(configFile)) {
          System.err.println("cairn: cannot start: cannot read --config " + configFile);
          return 2;
        }
        try {
          config = config.withFallback(ConfigFactory.parseFile(configFile.toFile()).resolve());
        } catch (com.typesafe.config.ConfigException e) {
          System.err.println("cairn: cannot start: --config " + configFile + ": " + e.getMessage());
          return 2;
        }
      }
      CairnServer server;
      try {
        server = CairnServer.start(config);
      } catch (dev.cairn.persistence.journal.JournalLockedException
          | ClusterSettings.InvalidSettingException e) {
        System.err.println("cairn: cannot start: " + e.getMessage());
        return 2;
      } catch (Exception e) {
        // Whatever else stops the start (e.g. the cluster port taken between the check and the
        // bind): one line, with the innermost cause, not a stack trace.
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        System.err.println(
            "cairn: cannot start: " + e.getMessage() + (root == e ? "" : " (" + root + ")"));
        return 2;
      }
      LoggerFactory.getLogger(Main.class)
          .info(
              "Cairn is serving {}{} (cluster address {}, journal {}{})",
              server.url(),
              server.opsPort() < 0 ? "" : ", probes and metrics also on port " + server.opsPort(),
              server.clusterAddress(),
              server.cluster().journal().wire(),
              server.cluster().shared()
                  ? " at " + server.cluster().cassandra()
                  : ", data in " + dir);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cairn-shutdown"));
      server.whenTerminated().toCompletableFuture().join();
      if (server.downed()) {
        // Pekko stops a member the cluster downed (here, or on the other side of a partition);
        // a distinct exit code lets a supervisor tell it from a requested stop and restart it.
        System.err.println(
            "cairn: this node was downed by the cluster (unreachable from the majority) and"
                + " stopped; start it again to rejoin");
        return 3;
      }
      return 0;
    }
  }
}
