package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The election's promises across processes: a real server process, candidates in separate client
 * processes ({@link ElectionCandidate}, one per process, each keeping its own lease alive), and an
 * observer following {@code GET /v1/elections/{name}?watch=true} (server-sent events) from before
 * the first campaign. The leader's process is killed with SIGKILL three times. Checked:
 *
 * <ul>
 *   <li><b>exactly one leader at a time</b>: ordered by the time each candidate learnt it was
 *       elected, every election comes after the kill of the leader before it (a leader never
 *       resigns here, so its leadership ends only with its process), tokens strictly increase, and
 *       no process is elected twice; every fenced write the server applied carries the token of the
 *       leader at that revision (from the server's own history of the written key);
 *   <li><b>hand-over within TTL + 1 s</b>: from each kill to the next candidate's notification of
 *       its election;
 *   <li><b>observers see every change in order</b>: the observer's events are exactly the changes
 *       of leader in the server's own history of the election's keys (a watch from revision 1),
 *       same revisions, same tokens, same order, each once.
 * </ul>
 */
class ElectionFailoverIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ELECTION = "failover";
  private static final String PREFIX = "_cairn/elections/" + ELECTION + "/";
  private static final String KEY = "electproof/leader";

  /**
   * Every candidate's lease TTL (seconds), renewed every TTL/5; a killed leader must be replaced
   * within it + 1 s. 3 s rather than 2: a renewal would have to come 3 s late, on a machine loaded
   * by other builds, for a living leader to lose its lease (the check would then report a hand-over
   * without a kill).
   */
  private static final int TTL = 3;

  private static final int CANDIDATES = 4;
  private static final int KILLS = 3;
  private static final Duration AWAIT = Duration.ofSeconds(90);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final List<AutoCloseable> processes = new ArrayList<>();
  private Path work;
  private CairnProcess server;

  /**
   * One event of the observer's stream, with the test JVM's {@link System#nanoTime()} at arrival.
   */
  record Observed(long nanos, long revision, long token, String value) {}

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    String name = info.getTestMethod().orElseThrow().getName();
    work = Files.createDirectories(root.resolve(name + "-" + System.currentTimeMillis()));
    work = work.toAbsolutePath();
    System.out.println("=== " + name + ": work dir " + work);
    server =
        CairnProcess.start(
            work.resolve("data"), work.resolve("server.log"), Duration.ofSeconds(120), List.of());
    processes.add(server);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void oneLeaderAtATimeHandOverWithinTtlPlusASecondAndObserversSeeEveryChange() throws Exception {
    List<Observed> observed = new CopyOnWriteArrayList<>();
    HttpResponse<Stream<String>> stream =
        http.send(
            HttpRequest.newBuilder(server.uri("/v1/elections/" + ELECTION + "?watch=true"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    Thread observer = new Thread(() -> follow(stream.body(), observed), "observer");
    observer.setDaemon(true);
    observer.start();
    await(() -> !observed.isEmpty(), "the observer's first event (no leader yet)");
    assertThat(observed.get(0).token()).as("nobody leads before the first campaign").isZero();

    long t0 = System.nanoTime();
    List<ContenderProcess> candidates = new ArrayList<>();
    for (int i = 1; i <= CANDIDATES; i++) {
      ContenderProcess p =
          ContenderProcess.start(
              ElectionCandidate.class,
              server,
              work,
              "c" + i,
              1,
              "election=" + ELECTION,
              "key=" + KEY,
              "ttl=" + TTL,
              "write-every-ms=100",
              "stop=" + work.resolve("stop"));
      processes.add(p);
      candidates.add(p);
    }
    await(
        () -> queued() == CANDIDATES && !elected(candidates).isEmpty(),
        "all " + CANDIDATES + " candidates queued, one elected");

    List<Long> kills = new ArrayList<>();
    List<Long> handOverMs = new ArrayList<>();
    for (int k = 0; k < KILLS; k++) {
      List<LockHistory.Event> before = elected(candidates);
      assertThat(before)
          .as("elections before kill %d: one per kill, and the first", k)
          .hasSize(k + 1);
      LockHistory.Event leader = before.get(before.size() - 1);
      ContenderProcess victim = byLabel(candidates, leader.label());
      // Let the leader write a few fenced values first.
      await(() -> writes(victim) >= 3, victim + "'s fenced writes as leader");
      long at = victim.kill9();
      kills.add(at);
      await(() -> elected(candidates).size() == before.size() + 1, "an election after kill " + k);
      LockHistory.Event next = elected(candidates).get(before.size());
      long ms = (next.nanos() - at) / 1_000_000;
      handOverMs.add(ms);
      System.out.printf(
          "kill -9 of leader %s (token %d) at %d ms; %s elected (token %d) %d ms later%n",
          victim, leader.num(0), (at - t0) / 1_000_000, next.label(), next.num(0), ms);
    }
    ContenderProcess last = byLabel(candidates, elected(candidates).get(KILLS).label());
    await(() -> writes(last) >= 3, "the last leader's fenced writes");
    List<LockHistory.Event> elections = elected(candidates);
    long lastToken = elections.get(elections.size() - 1).num(0);
    await(
        () -> observed.stream().anyMatch(o -> o.token() == lastToken),
        "the observer's event for the last leader");
    Files.createFile(work.resolve("stop"));
    assertThat(last.awaitExit(AWAIT)).as("exit of %s: %s", last, last.output()).isZero();

    // ---- one leader at a time, from the candidates' own records
    assertThat(elections).hasSize(KILLS + 1);
    assertThat(elections.stream().map(LockHistory.Event::label).distinct().count())
        .as("no process elected twice: %s", elections)
        .isEqualTo(elections.size());
    for (int i = 1; i < elections.size(); i++) {
      assertThat(elections.get(i).num(0))
          .as("tokens increase with every election")
          .isGreaterThan(elections.get(i - 1).num(0));
      assertThat(elections.get(i).nanos())
          .as("%s elected only after the kill of the leader before it", elections.get(i).label())
          .isGreaterThan(kills.get(i - 1));
    }
    for (ContenderProcess p : candidates) {
      for (LockHistory.Event e : p.events()) {
        assertThat(e.type()).as("%s: %s", p, p.output()).isNotIn("error", "fenced");
      }
    }
    // ---- hand-over within TTL + 1 s of each kill
    System.out.printf(
        "hand-over after each kill of the leader's process: %s ms (bound %d ms)%n",
        handOverMs, TTL * 1000 + 1000);
    assertThat(handOverMs).allSatisfy(ms -> assertThat(ms).isLessThan(TTL * 1000L + 1000));

    // ---- the server's own history of the election, and of the fenced key
    long end = observed.get(observed.size() - 1).revision();
    List<long[]> changes = leaderChanges(WatchHistory.read(server, PREFIX, true, end), end);
    List<long[]> seen = new ArrayList<>();
    for (Observed o : observed.subList(1, observed.size())) {
      seen.add(new long[] {o.revision(), o.token()});
    }
    assertThat(seen.stream().map(a -> a[0] + "@" + a[1]).toList())
        .as("the observer's events (revision@token) against the server's leader changes")
        .isEqualTo(changes.stream().map(a -> a[0] + "@" + a[1]).toList());
    assertThat(seen.stream().filter(a -> a[1] != 0).map(a -> a[1]).toList())
        .as("the observed leaders are the elected candidates, in order")
        .isEqualTo(elections.stream().map(e -> e.num(0)).toList());
    assertThat(observed.subList(1, observed.size()))
        .as("the observer learnt of every hand-over within TTL + 1 s of its kill")
        .allSatisfy(
            o -> {
              int i = elections.stream().map(e -> e.num(0)).toList().indexOf(o.token());
              if (i > 0) {
                assertThat((o.nanos() - kills.get(i - 1)) / 1_000_000)
                    .isLessThan(TTL * 1000L + 1000);
              }
            });
    int applied = 0;
    for (WatchHistory.Change c : writesOfTheKey()) {
      long token = Long.parseLong(c.value().substring(c.value().indexOf(' ') + 1));
      assertThat(token)
          .as("the write at revision %d was made by the leader of that revision", c.revision())
          .isEqualTo(leaderAt(changes, c.revision()));
      applied++;
    }
    System.out.printf(
        "%d observer events, %d leader changes in the server's history, %d fenced writes applied,"
            + " all by the leader of their revision; run %d ms%n",
        observed.size(), changes.size(), applied, (System.nanoTime() - t0) / 1_000_000);
    assertThat(applied).isGreaterThanOrEqualTo(3 * (KILLS + 1));
    stream.body().close();
  }

  // ==================================================================== the server's history

  /**
   * The changes of leader in {@code history} (of the election's prefix, from revision 1): {@code
   * [revision, token]} (token 0: nobody leads) after every revision at which the key with the
   * lowest create revision changed, up to {@code end}.
   */
  private static List<long[]> leaderChanges(List<WatchHistory.Change> history, long end) {
    Map<String, Long> live = new HashMap<>();
    List<long[]> out = new ArrayList<>();
    long leader = 0;
    for (int i = 0; i < history.size(); i++) {
      WatchHistory.Change c = history.get(i);
      if (c.put()) {
        live.put(c.key(), c.createRevision());
      } else {
        live.remove(c.key());
      }
      boolean lastOfRevision =
          i + 1 == history.size() || history.get(i + 1).revision() != c.revision();
      if (!lastOfRevision || c.revision() > end) {
        continue;
      }
      long now = live.values().stream().mapToLong(Long::longValue).min().orElse(0);
      if (now != leader) {
        out.add(new long[] {c.revision(), now});
        leader = now;
      }
    }
    return out;
  }

  private static long leaderAt(List<long[]> changes, long revision) {
    long leader = 0;
    for (long[] c : changes) {
      if (c[0] <= revision) {
        leader = c[1];
      }
    }
    return leader;
  }

  /** Every applied write of {@link #KEY}, from the server's history up to the key's last write. */
  private List<WatchHistory.Change> writesOfTheKey() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(server.uri("/v1/kv/" + KEY)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    long last = JSON.readTree(r.body()).path("kv").path("mod_revision").asLong();
    return WatchHistory.read(server, KEY, false, last);
  }

  // ==================================================================== helpers

  /** Reads the observer's server-sent events into {@code out} until the stream ends. */
  private static void follow(Stream<String> lines, List<Observed> out) {
    try {
      Iterator<String> it = lines.iterator();
      String event = null;
      while (it.hasNext()) {
        String l = it.next();
        if (l.startsWith("event: ")) {
          event = l.substring(7);
        } else if (l.startsWith("data: ") && "leader".equals(event)) {
          JsonNode d = JSON.readTree(l.substring(6));
          JsonNode leader = d.path("leader");
          out.add(
              new Observed(
                  System.nanoTime(),
                  d.path("revision").asLong(),
                  leader.isNull() ? 0 : leader.path("fencing_token").asLong(),
                  leader.isNull() ? null : leader.path("value").asText()));
        } else if (l.startsWith("data: ")) {
          out.add(new Observed(System.nanoTime(), -1, -1, l)); // an error event fails the check
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      // the stream was closed at the end of the test
    }
  }

  /** Candidate keys in the election now (the leader and the waiting ones), as the server counts. */
  private int queued() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      server.uri("/v1/kv/" + PREFIX + "?prefix=true&count_only=true"))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()).path("count").asInt() : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Every {@code elected} event of {@code ps}, in the order they were received. */
  private static List<LockHistory.Event> elected(List<ContenderProcess> ps) {
    List<LockHistory.Event> out = new ArrayList<>();
    for (ContenderProcess p : ps) {
      p.events().stream().filter(e -> e.type().equals("elected")).forEach(out::add);
    }
    out.sort((a, b) -> Long.compare(a.nanos(), b.nanos()));
    return out;
  }

  private static int writes(ContenderProcess p) {
    return (int) p.events().stream().filter(e -> e.type().equals("ok")).count();
  }

  private static ContenderProcess byLabel(List<ContenderProcess> ps, String label) {
    return ps.stream().filter(p -> p.label().equals(label)).findFirst().orElseThrow();
  }

  private void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after %s waiting for %s; work dir %s", AWAIT, what, work);
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }
}
