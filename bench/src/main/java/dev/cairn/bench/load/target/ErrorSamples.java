package dev.cairn.bench.load.target;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reports the first few errors of a run in words on standard error, so that a count in the results
 * can be traced to a cause; the rest are only counted.
 */
public final class ErrorSamples {

  private final String target;
  private final int limit;
  private final PrintStream out;
  private final AtomicInteger seen = new AtomicInteger();

  public ErrorSamples(String target, int limit, PrintStream out) {
    this.target = target;
    this.limit = limit;
    this.out = out;
  }

  /** Notes one error; prints it if it is among the first {@code limit}. */
  public void note(String description) {
    int n = seen.incrementAndGet();
    if (n <= limit) {
      out.println("[" + target + "] error: " + description);
    } else if (n == limit + 1) {
      out.println("[" + target + "] further errors are only counted");
    }
  }

  public int count() {
    return seen.get();
  }
}
