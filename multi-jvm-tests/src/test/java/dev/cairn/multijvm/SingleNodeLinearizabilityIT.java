package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.multijvm.history.Linearizability;
import dev.cairn.multijvm.history.Op;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ten clients read, write, delete and compare-and-set five keys of one real server process while it
 * is killed with SIGKILL and restarted on its data directory; the recorded history, ending with a
 * read of every key, must be linearizable. This is the single-node form of the cluster's fault
 * scenarios: it holds the server to the register model through a crash, and the workload and the
 * checker to a real server.
 */
class SingleNodeLinearizabilityIT {
  private static final Duration READY = Duration.ofMinutes(3);
  private final AtomicReference<CairnProcess> server = new AtomicReference<>();

  @AfterEach
  void stop() {
    CairnProcess p = server.get();
    if (p != null) {
      p.close();
    }
  }

  @Test
  @Timeout(600)
  void historyAcrossAKillNineIsLinearizable() throws Exception {
    long seed = Long.getLong("cairn.it.seed", System.nanoTime());
    Path work =
        Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"))
            .resolve("linearizability-" + System.currentTimeMillis());
    Path data = Files.createDirectories(work.resolve("data"));
    server.set(CairnProcess.start(data, work.resolve("server-1.log"), READY, List.of()));
    AtomicReference<List<URI>> endpoints = new AtomicReference<>(List.of(server.get().uri("/")));

    try (RegisterWorkload load =
        new RegisterWorkload(endpoints::get, 5, 10, Duration.ofSeconds(5), seed)) {
      load.start();
      awaitOps(load, 2_000);
      server.get().kill9();
      endpoints.set(List.of());
      server.set(CairnProcess.start(data, work.resolve("server-2.log"), READY, List.of()));
      long before = load.acknowledgedWrites();
      endpoints.set(List.of(server.get().uri("/")));
      awaitOps(load, before + 2_000);
      load.stop();
      load.readAll(99);

      List<Op> ops = load.history().ops();
      long checking = System.nanoTime();
      Linearizability.Result result = Linearizability.check(ops);
      System.out.printf(
          "linearizability: %d ops (%d acknowledged writes, %d unknown), %s in %d ms, seed %d%n",
          ops.size(),
          load.acknowledgedWrites(),
          load.unknownOutcomes(),
          result.verdict(),
          (System.nanoTime() - checking) / 1_000_000,
          seed);
      assertThat(result.verdict())
          .as("seed %d, %d ops, %d unknown: %s", seed, ops.size(), load.unknownOutcomes(), result)
          .isEqualTo(Linearizability.Verdict.LINEARIZABLE);
      assertThat(load.okReads()).isGreaterThan(100);
    }
  }

  /** Waits until the workload has {@code writes} acknowledged writes (the server answers). */
  private static void awaitOps(RegisterWorkload load, long writes) throws InterruptedException {
    BooleanSupplier done = () -> load.acknowledgedWrites() >= writes;
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the workload did not reach " + writes + " acknowledged writes");
      }
      Thread.sleep(20);
    }
  }
}
