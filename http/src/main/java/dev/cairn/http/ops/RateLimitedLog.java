package dev.cairn.http.ops;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * At most one log line per interval for a repetitive event. The first occurrence is logged at once;
 * later ones within the interval are counted, and the next line that gets through says how many
 * were left out ({@code suppressed}). Thread-safe; an event costs one synchronized check.
 */
public final class RateLimitedLog {
  private final long intervalNanos;
  private long nextNanos = Long.MIN_VALUE;
  private boolean started;
  private long suppressed;

  public RateLimitedLog(java.time.Duration interval) {
    this.intervalNanos = interval.toNanos();
  }

  /**
   * Runs {@code line} with the number of occurrences left out since the last line, if the interval
   * has passed since then; otherwise counts this occurrence as left out.
   */
  public void log(Consumer<Long> line) {
    long skipped;
    synchronized (this) {
      long now = System.nanoTime();
      if (started && now - nextNanos < 0) {
        suppressed++;
        return;
      }
      started = true;
      nextNanos = now + intervalNanos;
      skipped = suppressed;
      suppressed = 0;
    }
    line.accept(skipped);
  }

  /**
   * Starts a new interval now, forgetting what was left out: for a line logged outside this limiter
   * (a state change) that the next repetitive line should not follow at once.
   */
  public synchronized void restart() {
    started = true;
    nextNanos = System.nanoTime() + intervalNanos;
    suppressed = 0;
  }

  /** The default interval of the server's repetitive lines: 10 seconds. */
  public static RateLimitedLog everyTenSeconds() {
    return new RateLimitedLog(java.time.Duration.ofNanos(TimeUnit.SECONDS.toNanos(10)));
  }
}
