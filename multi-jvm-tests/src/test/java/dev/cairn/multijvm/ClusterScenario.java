package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.multijvm.history.Linearizability;
import dev.cairn.multijvm.history.Op;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the cluster fault scenarios share: the workload's size, waiting for it to make progress,
 * reading the history (when writes resumed after a fault, the longest stretch without an
 * acknowledged write) and the final check, which reads every key on every live node and holds the
 * whole history to the register model.
 */
final class ClusterScenario {
  private static final ObjectMapper JSON = new ObjectMapper();

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
    replicasAgree(scenario, cluster);
  }

  /** The prefix of the workload's keys, which the watches of {@link #watchEveryNode} watch. */
  static final String PREFIX = "reg/";

  /** A watch of the workload's keys from revision 1 on every node, each resuming elsewhere. */
  static List<ResumingWatch> watchEveryNode(CairnCluster cluster) {
    List<ResumingWatch> watches = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      watches.add(
          new ResumingWatch("node" + i, cluster.node(i).uri("/"), PREFIX, cluster.liveEndpoints()));
    }
    return watches;
  }

  /** The namespace's revision by a linearizable read on a live node. */
  static long revision(CairnCluster cluster) throws Exception {
    for (int attempt = 0; ; attempt++) {
      List<URI> live = cluster.endpoints();
      HttpResponse<String> r =
          Http.get(live.get(attempt % live.size()).resolve("/v1/namespaces/default"));
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body()).path("revision").asLong();
      }
      if (attempt > 100) {
        throw new IllegalStateException("no linearizable status: " + r.statusCode() + r.body());
      }
    }
  }

  /**
   * Once the workload has stopped: every watch reaches the namespace's last revision, and what each
   * received equals the server's history of the prefix from revision 1 (read by a fresh watch):
   * every change exactly once, in revision order, with no gap, across the faults and the resumes.
   */
  static void watchesSawEverything(
      String scenario, CairnCluster cluster, List<ResumingWatch> watches) throws Exception {
    long last = revision(cluster);
    for (ResumingWatch w : watches) {
      cluster.await(
          "watch " + w + " reaches revision " + last + " (has " + w.lastRevision() + ")",
          PROGRESS_TIMEOUT,
          () -> w.lastRevision() >= last || w.failure() != null);
      assertThat(w.failure()).as("%s: a watch failed", scenario).isNull();
    }
    List<URI> live = cluster.endpoints();
    int reader = -1;
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.isLive(i)) {
        reader = i;
        break;
      }
    }
    List<WatchHistory.Change> history = WatchHistory.read(cluster.node(reader), PREFIX, true, last);
    for (int i = 0; i < watches.size(); i++) {
      ResumingWatch w = watches.get(i);
      List<WatchHistory.Change> seen = w.changes();
      System.out.printf(
          "%s: the watch started on node %d received %d changes up to revision %d, resumed %d"
              + " time(s); the server's history of %s has %d (%d live nodes)%n",
          scenario,
          i,
          seen.size(),
          w.lastRevision(),
          w.resumes(),
          PREFIX,
          history.size(),
          live.size());
      assertThat(seen)
          .as("%s: the changes the watch started on node %d received", scenario, i)
          .isEqualTo(history);
    }
  }

  /**
   * Every live node's replica of {@code default} reaches the revision a linearizable read reports,
   * and all report the same state digest there.
   */
  static void replicasAgree(String scenario, CairnCluster cluster) throws Exception {
    long last = revision(cluster);
    Map<Integer, JsonNode> status = new TreeMap<>();
    cluster.await(
        "every live node's replica of default reaches revision " + last,
        PROGRESS_TIMEOUT,
        () -> {
          status.clear();
          for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.isLive(i)) {
              continue;
            }
            try {
              HttpResponse<String> r =
                  Http.get(cluster.node(i).uri("/v1/namespaces/default?consistency=serializable"));
              if (r.statusCode() != 200) {
                return false;
              }
              JsonNode n = JSON.readTree(r.body());
              if (n.path("revision").asLong() < last) {
                return false;
              }
              status.put(i, n);
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return false;
            }
          }
          return true;
        });
    System.out.printf(
        "%s: replicas of default (node: revision digest): %s%n",
        scenario,
        status.entrySet().stream()
            .map(
                e ->
                    e.getKey()
                        + ": "
                        + e.getValue().path("revision").asLong()
                        + " "
                        + e.getValue().path("digest").asText())
            .collect(Collectors.joining(", ")));
    assertThat(status.values().stream().map(n -> n.path("revision").asLong()).distinct())
        .as("%s: every replica at revision %d", scenario, last)
        .containsExactly(last);
    assertThat(status.values().stream().map(n -> n.path("digest").asText()).distinct())
        .as("%s: every replica's digest at revision %d: %s", scenario, last, status)
        .hasSize(1);
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
