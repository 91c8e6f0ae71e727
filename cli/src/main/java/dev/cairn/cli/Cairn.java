package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code cairn}: the client commands of the command line. {@code bin/cairn} runs this class for
 * every command but {@code server}, {@code cassandra} and {@code cluster up|down}.
 *
 * <p>The options here apply to every subcommand (picocli's inherited scope), in any position:
 * {@code cairn --output json get k} and {@code cairn get k --output json} are the same.
 */
@Command(
    name = "cairn",
    mixinStandardHelpOptions = true,
    versionProvider = Cairn.Version.class,
    description = "Talk to a Cairn cluster: keys, transactions, watches, leases, locks, elections.",
    subcommands = {
      KvCommands.Put.class,
      KvCommands.Get.class,
      KvCommands.Del.class,
      KvCommands.TxnCommand.class,
      KvCommands.Compact.class,
      WatchCommand.class,
      LeaseCommand.class,
      LockCommand.class,
      ElectCommand.class,
      ServicesCommand.class,
      NamespacesCommand.class,
      ClusterCommand.class,
      CommandLine.HelpCommand.class,
      picocli.AutoComplete.GenerateCompletion.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:not found, or a condition failed (txn compare, lock/campaign timeout)",
      "2:bad usage",
      "3:unavailable: no node answered, or only with 503 / a server error",
      "4:refused by the server as invalid (bad key, value too large, …)",
      "5:a write's outcome is unknown (the connection failed after it was sent)",
      "6:the lease of a lock or leadership was lost while the command ran",
      "70:a bug in the command line (a stack trace is printed)",
      "lock:the exit code of COMMAND"
    },
    footer = {
      "",
      "Environment: CAIRN_ENDPOINTS, CAIRN_NAMESPACE (defaults of the options).",
      "bin/cairn also runs: server (a node; bin/cairn server --help), cassandra start|stop|status,",
      "cluster up|down (local nodes). Commands and exit codes: docs/cli.md."
    })
public final class Cairn implements Callable<Integer> {
  /** The root command's one instance: the inherited options are set on it. */
  private static Cairn current;

  @Option(
      names = {"--endpoints", "-e"},
      scope = ScopeType.INHERIT,
      split = ",",
      paramLabel = "URL",
      defaultValue = "${env:CAIRN_ENDPOINTS:-http://127.0.0.1:7070}",
      description = "Nodes to talk to, http://host:port[,…] (default: ${DEFAULT-VALUE}).")
  List<String> endpoints;

  @Option(
      names = {"--namespace", "-n"},
      scope = ScopeType.INHERIT,
      defaultValue = "${env:CAIRN_NAMESPACE:-default}",
      description = "The namespace to address (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(
      names = {"--output", "-o"},
      scope = ScopeType.INHERIT,
      defaultValue = "text",
      description = "text (for people) or json (one document per answer, per line for streams).")
  Output.Format output;

  @Option(
      names = "--timeout",
      scope = ScopeType.INHERIT,
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "How long one request may take, e.g. 500ms, 30s, 2m (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** {@code cairn} with no command: the usage, on stderr, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Exit.USAGE;
  }

  /** The root's options, for a subcommand. */
  static Cairn options() {
    return current;
  }

  /** A client for the endpoints and namespace given. */
  CairnClient connect() {
    return CairnClient.builder()
        .endpoints(endpoints.toArray(String[]::new))
        .namespace(namespace)
        .requestTimeout(timeout)
        .connectTimeout(
            timeout.compareTo(Duration.ofSeconds(3)) < 0 ? timeout : Duration.ofSeconds(3))
        .maxRetryDelay(Duration.ofSeconds(2))
        .threads(1)
        .multiplexed(false) // a command makes a request or two: no HTTP/2 switch first
        .build();
  }

  Output out() {
    return new Output(output, System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line {@code args}; returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    current = new Cairn();
    CommandLine cl = new CommandLine(current);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          if (e instanceof CommandLine.ParameterException pe) {
            throw pe;
          }
          if (!Exit.known(e)) {
            e.printStackTrace(line.getErr());
            return Exit.BUG;
          }
          line.getErr().println("cairn: " + Exit.unwrap(e).getMessage());
          return Exit.of(e);
        });
    return cl.execute(args);
  }

  /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      String s = v.trim().toLowerCase(java.util.Locale.ROOT);
      try {
        if (s.startsWith("pt")) {
          return Duration.parse(s);
        }
        if (s.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (s.charAt(s.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          default -> Duration.ofSeconds(Long.parseLong(s));
        };
      } catch (RuntimeException e) {
        throw new CommandLine.TypeConversionException(
            "'" + v + "' is not a duration (e.g. 500ms, 30s, 2m, 1h)");
      }
    }
  }

  /** The version: the client module's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = CairnClient.class.getPackage().getImplementationVersion();
      return new String[] {"cairn " + (v == null ? "(source tree)" : v)};
    }
  }
}
