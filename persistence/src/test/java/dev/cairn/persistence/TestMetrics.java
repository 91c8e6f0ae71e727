package dev.cairn.persistence;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Gives the global Micrometer registry a concrete registry (a composite with no children records
 * nothing), as the HTTP layer's Prometheus registry does in production.
 */
public final class TestMetrics {

  private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

  static {
    Metrics.addRegistry(REGISTRY);
  }

  private TestMetrics() {}

  /** Forced writes so far of the journal tagged {@code journal}. */
  public static double forces(String journal) {
    Counter c = REGISTRY.find("cairn.journal.forces").tag("journal", journal).counter();
    return c == null ? 0 : c.count();
  }

  /**
   * The group-size summary of the journal tagged {@code journal}, or null before it has been
   * opened.
   */
  public static DistributionSummary batchEvents(String journal) {
    return REGISTRY.find("cairn.journal.batch.events").tag("journal", journal).summary();
  }

  /** The value of gauge {@code name} of the journal tagged {@code journal}, NaN if absent. */
  public static double gauge(String name, String journal) {
    io.micrometer.core.instrument.Gauge g = REGISTRY.find(name).tag("journal", journal).gauge();
    return g == null ? Double.NaN : g.value();
  }

  /** Ensures the registry is attached; call before the journal under test is opened. */
  public static void install() {
    // the static initializer does the work
  }
}
