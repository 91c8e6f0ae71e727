package dev.cairn.bench.cli;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** How every benchmark program reads its command line and starts. */
public final class Cli {
  private Cli() {}

  /**
   * The command line of {@code command}: enum values in any case, durations read by {@link
   * DurationConverter}, and {@code defaults} (option name to value, e.g. {@code "--duration" ->
   * "30s"}) in place of the defaults of the shared options, for the commands whose own differ.
   */
  public static CommandLine commandLine(Object command, Map<String, String> defaults) {
    CommandLine line =
        new CommandLine(command)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .registerConverter(Duration.class, new DurationConverter());
    if (!defaults.isEmpty()) {
      line.setDefaultValueProvider(
          arg ->
              arg instanceof CommandLine.Model.OptionSpec option
                  ? defaults.get(option.longestName())
                  : null);
    }
    return line;
  }

  /** {@link #commandLine} with the shared defaults. */
  public static CommandLine commandLine(Object command) {
    return commandLine(command, Map.of());
  }

  /**
   * Prepares the JVM (see {@link #ensureCommonPoolThreads}), runs the command and exits with its
   * status.
   */
  public static void main(CommandLine line, String[] args) {
    ensureCommonPoolThreads();
    System.exit(line.execute(args));
  }

  /**
   * Gives the JDK common pool at least two threads. With one (any 2-core machine) every async
   * completion of a {@code CompletableFuture} runs on a brand-new thread, and a benchmark would
   * measure its own thread churn, not the server. Must run before anything touches the pool.
   */
  static void ensureCommonPoolThreads() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null) {
      System.setProperty(
          key, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }

  /**
   * Client libraries log at debug by default, on standard output where the JSON goes; keep them to
   * warnings unless a logback configuration is given.
   */
  public static void quietLibraryLogging() {
    if (System.getProperty("logback.configurationFile") != null) {
      return;
    }
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  /** A single-thread scheduler on a daemon thread named {@code threadName}. */
  public static ScheduledExecutorService daemonScheduler(String threadName) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, threadName);
          t.setDaemon(true);
          return t;
        });
  }
}
