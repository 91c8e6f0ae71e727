package dev.cairn.bench.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --warmup} and {@code --duration}: the load runs through a warmup, then the measured
 * window. A command whose window lasts longer by default says so through {@link Cli#commandLine}'s
 * defaults.
 */
public final class RunWindow {
  @Option(
      names = "--warmup",
      defaultValue = "5s",
      description = "load before the measured window, not timed (default: ${DEFAULT-VALUE})")
  Duration warmup;

  @Option(
      names = "--duration",
      defaultValue = "15s",
      description = "measured window, e.g. 30s (default: ${DEFAULT-VALUE})")
  Duration duration;

  public Duration warmup() {
    return warmup;
  }

  public Duration duration() {
    return duration;
  }

  /** The warmup in seconds. */
  public double warmupSeconds() {
    return warmup.toNanos() / 1e9;
  }

  /** The measured window in seconds. */
  public double durationSeconds() {
    return duration.toNanos() / 1e9;
  }
}
