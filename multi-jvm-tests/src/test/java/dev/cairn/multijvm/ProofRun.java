package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One run of a recipe proof with client processes ({@link RecipeWorker}): its seed ({@code
 * -Dcairn.it.seed=N} replays one), its work directory under {@code target/it-work} (every process's
 * history and output, kept for post-mortems), its server process, the client processes it started,
 * all stopped at {@link #close}, and waiting for a condition with a deadline. Every failure message
 * carries {@link #ctx()}.
 */
final class ProofRun implements AutoCloseable {
  /** How long {@link #await} waits. */
  static final Duration AWAIT = Duration.ofSeconds(90);

  final long seed;
  final Path work;
  final CairnProcess server;
  private final List<AutoCloseable> processes = new ArrayList<>();

  private ProofRun(long seed, Path work, CairnProcess server) {
    this.seed = seed;
    this.work = work;
    this.server = server;
    processes.add(server);
  }

  /** Starts a server for run {@code name}, in a work directory of its own. */
  static ProofRun start(String name) throws IOException {
    long seed = Long.getLong("cairn.it.seed", new SecureRandom().nextLong());
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    Path work =
        Files.createDirectories(root.resolve(name + "-" + Long.toHexString(seed))).toAbsolutePath();
    System.out.println("=== " + name + ": seed=" + seed + ", work dir=" + work);
    CairnProcess server =
        CairnProcess.start(
            work.resolve("data"), work.resolve("server.log"), Duration.ofSeconds(120), List.of());
    return new ProofRun(seed, work, server);
  }

  /**
   * Starts a {@link RecipeWorker} process {@code label} of {@code threads} threads; its seed
   * derives from the run's, its stop file is {@link #stopFile}.
   */
  ContenderProcess worker(String label, int threads, String... args) throws IOException {
    List<String> all =
        new ArrayList<>(List.of("stop=" + stopFile(label), "seed=" + (seed ^ label.hashCode())));
    all.addAll(List.of(args));
    ContenderProcess p =
        ContenderProcess.start(
            RecipeWorker.class, server, work, label, threads, all.toArray(new String[0]));
    processes.add(p);
    return p;
  }

  /** The file whose creation tells worker {@code label} to finish. */
  Path stopFile(String label) {
    return work.resolve(label + ".stop");
  }

  /**
   * Polls {@code condition} every 10 ms until it holds; fails after {@link #AWAIT} with {@code
   * state}.
   */
  void await(BooleanSupplier condition, String what, Supplier<String> state) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after %s waiting for %s (%s); %s", AWAIT, what, state.get(), ctx());
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }

  void await(BooleanSupplier condition, String what) {
    await(condition, what, () -> "");
  }

  String ctx() {
    return "seed=" + seed + " (rerun with -Dcairn.it.seed=" + seed + "), work dir=" + work;
  }

  /** Stops every process of the run, the last started first. */
  @Override
  public void close() throws Exception {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
  }
}
