package dev.cairn.bench.load;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Outcome;
import dev.cairn.bench.load.target.Target;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Writes every key once before the measured phase, so that puts overwrite existing keys on every
 * target and gets always hit: {@code --preload-clients} closed-loop clients sweep the key space.
 */
final class Preloader {
  private final LoadGenerator.Preload mode;
  private final int clients;
  private final int keys;
  private final Duration timeout;
  private final PrintStream log;

  Preloader(LoadGenerator.Preload mode, int clients, int keys, Duration timeout, PrintStream log) {
    this.mode = mode;
    this.clients = clients;
    this.keys = keys;
    this.timeout = timeout;
    this.log = log;
  }

  /**
   * Writes every key unless told not to, or (auto) the last key is there already; returns the
   * errors.
   */
  long preload(Target t) throws Exception {
    if (mode == LoadGenerator.Preload.NEVER) {
      return 0;
    }
    if (mode == LoadGenerator.Preload.AUTO) {
      try (ClientChannel probe = t.open(0)) {
        CompletableFuture<Outcome> found = new CompletableFuture<>();
        log.printf(
            "[%s] checking whether the keys exist (an error here means they do not)%n", t.name());
        probe.get(keys - 1, found::complete);
        Outcome outcome = found.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        if (outcome.ok()) {
          log.printf("[%s] keys already loaded%n", t.name());
          return 0;
        }
      }
    }
    int n = Math.min(clients, keys);
    List<ClientChannel> channels = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        channels.add(t.open(i));
      }
      long t0 = System.nanoTime();
      Measurement m = new ClosedLoop(Op.LOAD, timeout.toNanos()).sweep(channels, keys);
      log.printf(
          "[%s] preloaded %d keys in %.1fs with %d clients, %d errors%n",
          t.name(), m.ops(), (System.nanoTime() - t0) / 1e9, n, m.errors());
      return m.errors();
    } finally {
      channels.forEach(ClientChannel::close);
    }
  }
}
