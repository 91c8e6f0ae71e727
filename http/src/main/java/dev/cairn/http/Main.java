package dev.cairn.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashMap;
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
        description = "Directory of the journal and snapshots (default ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data");

    @Option(
        names = "--unsafe-no-fsync",
        description =
            "Do not force writes to disk. Loses acknowledged writes on power loss: tests only.")
    boolean noFsync;

    @Override
    public Integer call() throws Exception {
      Path dir = dataDir.toAbsolutePath();
      Map<String, Object> o = new HashMap<>();
      o.put("cairn.http.host", host);
      o.put("cairn.http.port", port);
      if (opsPort != null) {
        o.put("cairn.http.ops.port", opsPort);
      }
      o.put("cairn.persistence.journal.dir", dir.resolve("journal").toString());
      o.put("cairn.persistence.snapshot-store.dir", dir.resolve("snapshots").toString());
      if (noFsync) {
        o.put("cairn.persistence.journal.fsync", "off");
        o.put("cairn.persistence.snapshot-store.fsync", "off");
      }
      Config config = ConfigFactory.systemProperties().withFallback(ConfigFactory.parseMap(o));
      CairnServer server;
      try {
        server = CairnServer.start(config);
      } catch (dev.cairn.persistence.journal.JournalLockedException e) {
        System.err.println("cairn: cannot start: " + e.getMessage());
        return 2;
      }
      LoggerFactory.getLogger(Main.class)
          .info(
              "Cairn is serving {}{} (data in {})",
              server.url(),
              server.opsPort() < 0 ? "" : ", probes and metrics also on port " + server.opsPort(),
              dir);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cairn-shutdown"));
      server.whenTerminated().toCompletableFuture().join();
      return 0;
    }
  }
}
