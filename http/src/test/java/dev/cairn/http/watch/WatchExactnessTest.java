package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A watcher sees every acknowledged change exactly once, in revision order, and nothing else: under
 * 16 concurrent writers, across disconnects with resume, and across a server restart. Randomized;
 * the seed is printed on failure and can be fixed with {@code -Dcairn.test.seed=N}.
 */
class WatchExactnessTest {
  private static final int WRITERS = 16;
  private static final int KEYS = 500;
  @RegisterExtension static final TestServer node = TestServer.perClass();

  static long seed() {
    return Long.getLong("cairn.test.seed", System.nanoTime());
  }

  interface Body {
    void run(Random random) throws Exception;
  }

  /** Runs {@code body} with a seeded random and names the seed in any failure. */
  static void seeded(String test, Body body) throws Exception {
    long seed = seed();
    try {
      body.run(new Random(seed));
    } catch (Throwable t) {
      System.out.println(test + " failed with seed " + seed + " (-Dcairn.test.seed=" + seed + ")");
      throw new AssertionError(
          test + " failed with -Dcairn.test.seed=" + seed + ": " + t.getMessage(), t);
    }
  }

  private static void awaitAllSeen(Follower f, WriteLoad load) {
    TreeSet<Long> want = new TreeSet<>(load.acked().keySet());
    TestServer.await(
        Duration.ofSeconds(60),
        "the watcher to see all "
            + want.size()
            + " acknowledged changes (seen "
            + f.seenCount()
            + ", problems "
            + f.problems()
            + ")",
        () -> f.hasSeenAll(want) || !f.problems().isEmpty());
  }

  private static void check(Follower f, WriteLoad load) {
    assertThat(f.problems()).as("watcher problems").isEmpty();
    List<Change> seen = f.seen();
    System.out.printf(
        "%d events seen, %d acknowledged, %d unknown, %d connections%n",
        seen.size(), load.acked().size(), load.unknown().size(), f.connects());
    List<String> violations = Follower.verify(seen, load.acked(), load.unknown());
    assertThat(violations)
        .as(
            "%d events seen for %d acknowledged changes (%d of unknown outcome) over %d connections",
            seen.size(), load.acked().size(), load.unknown().size(), f.connects())
        .isEmpty();
  }

  @Test
  void aPrefixWatcherSeesTenThousandConcurrentChangesExactlyOnceInOrder() throws Exception {
    seeded(
        "exactly-once",
        random -> {
          String prefix = "ex1/";
          long from = node.revision() + 1;
          try (Follower f = new Follower(node, prefix, from, List.of(), random)) {
            WriteLoad load =
                new WriteLoad(node, prefix, KEYS, WRITERS, 10_000, random.nextLong(), 16);
            long t0 = System.nanoTime();
            load.start().join(120_000);
            System.out.printf("10000 writes took %d ms%n", TestServer.millisSince(t0));
            assertThat(load.acked().size()).as("changes acknowledged").isGreaterThan(5_000);
            awaitAllSeen(f, load);
            check(f, load);
            assertThat(f.connects()).isEqualTo(1);
          }
        });
  }

  @Test
  void resumingFromTheLastSeenRevisionAfterDisconnectsLosesAndRepeatsNothing() throws Exception {
    seeded(
        "resume",
        random -> {
          String prefix = "ex2/";
          int ops = 6_000;
          List<Integer> drops = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            drops.add(500 + random.nextInt(ops / 2));
          }
          drops.sort(null);
          long from = node.revision() + 1;
          try (Follower f = new Follower(node, prefix, from, drops, random)) {
            WriteLoad load = new WriteLoad(node, prefix, KEYS, WRITERS, ops, random.nextLong(), 16);
            load.start().join(120_000);
            awaitAllSeen(f, load);
            check(f, load);
            assertThat(f.connects())
                .as("connections (drops at %s)", drops)
                .isEqualTo(drops.size() + 1);
          }
        });
  }

  @Test
  void resumingAcrossAServerRestartLosesAndRepeatsNothing() throws Exception {
    seeded(
        "restart",
        random -> {
          String prefix = "ex3/";
          int ops = 5_000;
          long from = node.revision() + 1;
          try (Follower f = new Follower(node, prefix, from, List.of(), random)) {
            WriteLoad load = new WriteLoad(node, prefix, KEYS, WRITERS, ops, random.nextLong(), 16);
            load.start();
            int restartAt = ops / 4 + random.nextInt(ops / 2);
            TestServer.await(
                Duration.ofSeconds(60),
                "writes to reach " + restartAt,
                () -> load.done() >= restartAt);
            // Restart under load: writers and the watcher are mid-flight.
            long t0 = System.nanoTime();
            node.restart();
            System.out.printf("restart under load took %d ms%n", TestServer.millisSince(t0));
            load.join(120_000);
            awaitAllSeen(f, load);
            check(f, load);
            assertThat(f.connects())
                .as("the watcher reconnected after the restart")
                .isGreaterThan(1);
            Map<Long, Change> acked = load.acked();
            assertThat(acked.keySet().stream().filter(r -> r > 0).count()).isGreaterThan(ops / 2);
          }
        });
  }
}
