package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.multijvm.history.Linearizability;
import dev.cairn.multijvm.history.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the cluster fault scenarios share: the workload's size, waiting for it to make progress,
 * reading the history (when writes resumed after a fault, the longest stretch without an
 * acknowledged write) and the final check, which reads every key on every live node and holds the
 * whole history to the register model.
 */
final class ClusterScenario {
  /** Clients of every scenario, spread over the live nodes by picking one at random per request. */
  static final int CLIENTS = 10;

  /** Keys of every scenario: few, so that clients contend on each. */
  static final int KEYS = 5;

  /** A request without an answer after this is of unknown outcome. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** How long the workload may take to make the progress a scenario waits for. */
  static final Duration PROGRESS_TIMEOUT = Duration.ofMinutes(2);

  private ClusterScenario() {}

  /** The seed of the workload's choices: {@code -Dcairn.it.seed}, or a fresh one (printed). */
  static long seed() {
    return Long.getLong("cairn.it.seed", System.nanoTime());
  }

  static RegisterWorkload workload(CairnCluster cluster, long seed) {
    return new RegisterWorkload(cluster.liveEndpoints(), KEYS, CLIENTS, REQUEST_TIMEOUT, seed);
  }

  /** Waits until the workload has {@code writes} acknowledged writes in all. */
  static void awaitAcknowledged(CairnCluster cluster, RegisterWorkload load, long writes) {
    cluster.await(
        "the workload reaches "
            + writes
            + " acknowledged writes (has "
            + load.acknowledgedWrites()
            + ")",
        PROGRESS_TIMEOUT,
        () -> load.acknowledgedWrites() >= writes);
  }

  /**
   * Waits until {@code count} writes invoked after {@code sinceNanos} have been acknowledged, i.e.
   * written by whoever leads after that moment; returns the completion time of the first.
   */
  static long awaitAcknowledgedSince(
      CairnCluster cluster, RegisterWorkload load, long sinceNanos, int count) {
    long[] first = {0};
    cluster.await(
        count + " writes invoked after the fault are acknowledged",
        PROGRESS_TIMEOUT,
        () -> {
          List<Op> acked = acknowledgedWritesSince(load.history().ops(), sinceNanos);
          if (acked.size() < count) {
            return false;
          }
          first[0] = acked.get(0).completedAt();
          return true;
        });
    return first[0];
  }

  /**
   * Acknowledged writes, deletes and matched CASes invoked after {@code sinceNanos}, by completion.
   */
  static List<Op> acknowledgedWritesSince(List<Op> ops, long sinceNanos) {
    return ops.stream()
        .filter(op -> op.kind() != Op.Kind.READ && op.outcome() == Op.Outcome.OK)
        .filter(op -> op.invokedAt() > sinceNanos)
        .sorted(Comparator.comparingLong(Op::completedAt))
        .collect(Collectors.toList());
  }

  /**
   * The longest stretch, in milliseconds, between {@code fromNanos} and {@code toNanos} in which no
   * write was acknowledged (writes, deletes and matched CASes, by completion time).
   */
  static long longestSilenceMillis(List<Op> ops, long fromNanos, long toNanos) {
    long previous = fromNanos;
    long longest = 0;
    List<Long> done =
        ops.stream()
            .filter(op -> op.kind() != Op.Kind.READ && op.outcome() == Op.Outcome.OK)
            .map(Op::completedAt)
            .filter(t -> t >= fromNanos && t <= toNanos)
            .sorted()
            .toList();
    for (long t : done) {
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    longest = Math.max(longest, toNanos - previous);
    return longest / 1_000_000;
  }

  /**
   * Stops the workload, reads every key on every live node (recorded in the history: a read that
   * misses an acknowledged write makes the history non-linearizable), writes the history next to
   * the nodes' logs and checks it. Fails with the checker's excerpt (the first key found not
   * linearizable, its operations in invocation order) and the seed.
   */
  static void stopAndCheck(String scenario, CairnCluster cluster, RegisterWorkload load, long seed)
      throws Exception {
    load.stop();
    load.readAll(99);
    List<Op> ops = load.history().ops();
    Path historyFile = cluster.node(0).outputFile().resolveSibling("history.txt");
    writeHistory(ops, historyFile);
    long checking = System.nanoTime();
    Linearizability.Result result = Linearizability.check(ops);
    System.out.printf(
        "%s: %d ops (%d acknowledged writes, %d ok reads, %d unknown), %s in %d ms, seed %d,"
            + " history %s%n",
        scenario,
        ops.size(),
        load.acknowledgedWrites(),
        load.okReads(),
        load.unknownOutcomes(),
        result.verdict(),
        (System.nanoTime() - checking) / 1_000_000,
        seed,
        historyFile);
    assertThat(result.verdict())
        .as(
            "%s, seed %d, %d ops, %d unknown, history %s, %s: %s",
            scenario, seed, ops.size(), load.unknownOutcomes(), historyFile, cluster, result)
        .isEqualTo(Linearizability.Verdict.LINEARIZABLE);
    // The final reads took place: the check covered every key on every live node.
    long finalReads = ops.stream().filter(op -> op.client() == 99).count();
    assertThat(finalReads)
        .as("final reads of %d keys on %d live nodes", KEYS, cluster.endpoints().size())
        .isEqualTo((long) KEYS * cluster.endpoints().size());
  }

  private static void writeHistory(List<Op> ops, Path file) {
    StringBuilder b = new StringBuilder();
    ops.stream()
        .sorted(Comparator.comparingLong(Op::invokedAt))
        .forEach(op -> b.append(op.key()).append(' ').append(op).append('\n'));
    try {
      Files.writeString(file, b);
    } catch (IOException e) {
      System.err.println("cannot write " + file + ": " + e);
    }
  }
}
