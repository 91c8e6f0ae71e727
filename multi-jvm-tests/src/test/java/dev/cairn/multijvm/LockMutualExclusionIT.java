package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The lock's promises, checked against a real server process and contenders in separate client
 * processes ({@link LockContender}): each contender loops acquire → read the shared counter →
 * fenced write of counter + 1 → release, and records every step; {@link LockHistory} checks the
 * records against the server's own history of the lock's queue and of the counter.
 *
 * <ul>
 *   <li>{@link #neverTwoHoldersNoLostUpdateFifoAndHandOffThroughKillNine}: 32 contenders in four
 *       processes; three times a process is killed with SIGKILL while one of its contenders holds
 *       the lock, and a fresh process of 8 contenders takes its place.
 *   <li>{@link #aHolderFrozenPastItsLeaseHasItsLateWriteRefusedAsFenced}: a holder's process is
 *       frozen with SIGSTOP between its read and its write, until its lease has expired and others
 *       have written the counter; resumed with SIGCONT, its write is refused with 412 {@code
 *       fenced} and the counter is intact.
 *   <li>{@link #theCheckCatchesALateWriteWithoutAFence}: the negative control; the same run with
 *       the frozen holder writing without its fence must fail the check with a lost update.
 * </ul>
 *
 * <p>Set {@code -Dcairn.it.seed=N} to reuse a seed (the contenders' hold times derive from it);
 * every failure message carries it and the work directory, which keeps every process's history and
 * output under {@code target/it-work}.
 */
class LockMutualExclusionIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LOCK = "x";
  private static final String COUNTER = "lockproof/counter";

  /** Every contender's lease TTL (seconds); a killed holder's lock must pass on within it + 1 s. */
  private static final int TTL = 2;

  private static final Duration AWAIT = Duration.ofSeconds(90);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final List<AutoCloseable> processes = new ArrayList<>();
  private long seed;
  private Path work;
  private CairnProcess server;

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    seed = Long.getLong("cairn.it.seed", new SecureRandom().nextLong());
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    String name = info.getTestMethod().orElseThrow().getName();
    work =
        Files.createDirectories(root.resolve(name + "-" + Long.toHexString(seed))).toAbsolutePath();
    System.out.println("=== " + name + ": " + ctx());
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

  // ==================================================================== tests

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void neverTwoHoldersNoLostUpdateFifoAndHandOffThroughKillNine() throws Exception {
    long t0 = System.nanoTime();
    List<ContenderProcess> all = new ArrayList<>();
    List<ContenderProcess> survivors = new ArrayList<>();
    List<ContenderProcess> victims = new ArrayList<>();
    for (String label : List.of("a", "b")) {
      survivors.add(contenders(label, 8, 0, 5));
    }
    for (String label : List.of("v1", "v2")) {
      victims.add(contenders(label, 8, 20, 60));
    }
    all.addAll(survivors);
    all.addAll(victims);
    LockHistory check = new LockHistory().ttl(TTL);
    int kills = 3;
    int midHold = 0;
    List<String> killed = new ArrayList<>();
    for (int k = 1; k <= kills; k++) {
      ContenderProcess victim = victims.remove(0);
      int before = grants(all);
      await(
          () -> grants(all) >= before + 60 && grants(List.of(victim)) > 0,
          "60 more grants, one of them to " + victim,
          () -> grants(all) + " grants");
      await(() -> holding(victim, Set.of("grant", "read")), victim + " holding the lock", () -> "");
      long at = victim.kill9();
      check.killed(victim.label(), at);
      killed.add(victim.label());
      boolean wasHolding = holding(victim, Set.of("grant", "read", "write", "ok", "fenced"));
      midHold += wasHolding ? 1 : 0;
      System.out.printf(
          "kill -9 of %s at %d ms, %s%n",
          victim, (at - t0) / 1_000_000, wasHolding ? "while holding the lock" : "(not holding)");
      ContenderProcess fresh = contenders("v" + (k + 2), 8, 20, 60);
      victims.add(fresh);
      all.add(fresh);
      await(
          () -> grantedAfter(all, at),
          "a grant after the kill of " + victim,
          () -> grants(all) + " grants");
    }
    int before = grants(all);
    await(() -> grants(all) >= before + 60, "60 more grants", () -> grants(all) + " grants");
    long runMs = (System.nanoTime() - t0) / 1_000_000;

    LockHistory.Result r = stopAndCheck(all, check);
    System.out.printf(
        "%d grants in %d ms over %s; kills %s (%d while holding), hand-off after each kill %s ms"
            + " (bound %d ms); writes: %d acknowledged, %d applied, %d in doubt, %d fenced;"
            + " %d timeouts, %d grants lost to an expired lease%n",
        r.grants(),
        runMs,
        r.grantsByProcess(),
        killed,
        midHold,
        r.handoffAfterKillMs(),
        TTL * 1000 + 1000,
        r.acknowledgedWrites(),
        r.appliedWrites(),
        r.inDoubtWrites(),
        r.fencedWrites(),
        r.timeouts(),
        r.lostGrants());
    assertThat(r.problems()).as("the lock's history; %s", ctx()).isEmpty();
    assertThat(midHold)
        .as("kills that landed while a victim held the lock; %s", ctx())
        .isPositive();
    assertThat(r.handoffAfterKillMs()).as(ctx()).hasSize(midHold);
    assertThat(r.grantsByProcess()).as(ctx()).containsKeys("a", "b", "v1", "v2", "v3", "v4", "v5");
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aHolderFrozenPastItsLeaseHasItsLateWriteRefusedAsFenced() throws Exception {
    Frozen f = freezeAHolderPastItsLease(true);
    assertThat(hasEvent(f.sleeper, "fenced", f.token))
        .as("the late write of token %d refused with 412 fenced; %s", f.token, ctx())
        .isTrue();
    assertThat(f.result.problems()).as("the lock's history; %s", ctx()).isEmpty();
  }

  /**
   * The negative control: the same run with the frozen holder writing without its fence. Its late
   * write is applied over the newer holders' writes, and the check must report the lost update.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void theCheckCatchesALateWriteWithoutAFence() throws Exception {
    Frozen f = freezeAHolderPastItsLease(false);
    assertThat(hasEvent(f.sleeper, "ok", f.token))
        .as("the unfenced late write of token %d applied; %s", f.token, ctx())
        .isTrue();
    assertThat(f.result.problems())
        .as("the check of a history with an unfenced late write; %s", ctx())
        .anyMatch(p -> p.startsWith("lost or repeated update"))
        .anyMatch(p -> p.contains("was applied while an earlier entry") || p.contains("not in"));
  }

  private record Frozen(ContenderProcess sleeper, long token, LockHistory.Result result) {}

  /**
   * 31 contenders in two processes and one, the sleeper, in a third, whose critical section is long
   * enough to freeze it (SIGSTOP) between its read and its write. It stays frozen until its lease
   * has expired and others have written the counter five times with later tokens; then it is thawed
   * (SIGCONT), makes its late write ({@code fenced} or not) and must be served again later with a
   * new lease.
   */
  private Frozen freezeAHolderPastItsLease(boolean fenced) throws Exception {
    List<ContenderProcess> all = new ArrayList<>();
    all.add(contenders("a", 16, 0, 5));
    all.add(contenders("b", 15, 0, 5));
    ContenderProcess sleeper = contenders("s", 1, 800, 1200, "fence=" + fenced);
    all.add(sleeper);
    List<ContenderProcess> others = all.subList(0, 2);
    LockHistory check = new LockHistory().ttl(TTL).stopped("s");

    long token = 0;
    for (int attempt = 1; attempt <= 5 && token == 0; attempt++) {
      int seen = grants(List.of(sleeper));
      await(
          () -> grants(List.of(sleeper)) > seen && holding(sleeper, Set.of("read")),
          "the sleeper between its read and its write",
          () -> grants(all) + " grants");
      sleeper.suspend();
      List<LockHistory.Event> frozen = sleeper.events();
      LockHistory.Event last = frozen.get(frozen.size() - 1);
      if (last.type().equals("read")) {
        token = last.num(0);
      } else {
        sleeper.resume(); // it got to its write before the signal: try its next turn
      }
    }
    assertThat(token).as("the sleeper frozen between read and write; %s", ctx()).isPositive();
    long frozenToken = token;
    long stopped = System.nanoTime();
    // Frozen past its lease: other holders wrote the counter with later tokens.
    await(
        () -> acknowledgedAfter(others, frozenToken) >= 5,
        "five acknowledged writes with tokens after the frozen holder's " + frozenToken,
        () -> grants(all) + " grants");
    long frozenMs = (System.nanoTime() - stopped) / 1_000_000;
    sleeper.resume();
    await(
        () -> hasEvent(sleeper, "not-holder", frozenToken),
        "the thawed holder's write and release",
        () -> tail(sleeper, 10));
    int before = grants(List.of(sleeper));
    await(
        () -> grants(List.of(sleeper)) > before,
        "the thawed contender granted again with a new lease",
        () -> tail(sleeper, 10));

    LockHistory.Result r = stopAndCheck(all, check);
    System.out.printf(
        "frozen %d ms holding token %d (TTL %d s), late write %s; %d grants over %s; writes: %d"
            + " acknowledged, %d applied, %d fenced; %d grants lost to an expired lease;"
            + " %d problems%n",
        frozenMs,
        frozenToken,
        TTL,
        fenced ? "fenced" : "NOT fenced",
        r.grants(),
        r.grantsByProcess(),
        r.acknowledgedWrites(),
        r.appliedWrites(),
        r.fencedWrites(),
        r.lostGrants(),
        r.problems().size());
    return new Frozen(sleeper, frozenToken, r);
  }

  // ==================================================================== the run's end and check

  /**
   * Stops every live contender process (the stop file; each finishes its turn and exits 0), takes
   * the lock once more to mark the end of the queue's history, reads the server's history of the
   * queue and the counter, and checks everything.
   */
  private LockHistory.Result stopAndCheck(List<ContenderProcess> all, LockHistory check)
      throws Exception {
    Files.createFile(work.resolve("stop"));
    for (ContenderProcess p : all) {
      if (p.isAlive()) {
        Integer code = p.awaitExit(AWAIT);
        assertThat(code).as("exit of %s; output: %s; %s", p, p.output(), ctx()).isEqualTo(0);
      }
    }
    for (ContenderProcess p : all) {
      check.events(p.events());
    }
    // Once the dead contenders' leases have expired, the lock is free: this grant is the last
    // change of the queue, where its history is read up to.
    HttpResponse<String> g =
        send(
            HttpRequest.newBuilder(server.uri("/v1/locks/" + LOCK))
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\": 5, \"timeout_ms\": 20000}")));
    assertThat(g.statusCode()).as("the last acquisition: %s; %s", g.body(), ctx()).isEqualTo(200);
    JsonNode last = JSON.readTree(g.body());
    long end = last.path("fencing_token").asLong();
    for (WatchHistory.Change c :
        WatchHistory.read(server, "_cairn/locks/" + LOCK + "/", true, end)) {
      if (c.put() && c.revision() == end) {
        continue; // the last acquisition's own entry
      } else if (c.put()) {
        String hex = c.key().substring(c.key().lastIndexOf('/') + 1);
        check.entry(c.key(), Long.parseUnsignedLong(hex, 16), c.revision(), 0);
      } else {
        check.deleted(c.key(), c.revision());
      }
    }
    HttpResponse<String> counter = send(HttpRequest.newBuilder(server.uri("/v1/kv/" + COUNTER)));
    assertThat(counter.statusCode()).as("%s; %s", counter.body(), ctx()).isEqualTo(200);
    JsonNode kv = JSON.readTree(counter.body()).path("kv");
    String value = kv.path("value").asText();
    check.finalCount(Long.parseLong(value.substring(0, value.indexOf(' '))));
    for (WatchHistory.Change c :
        WatchHistory.read(server, COUNTER, false, kv.path("mod_revision").asLong())) {
      String[] f = c.value().split(" ");
      check.write(c.revision(), Long.parseLong(f[0]), Long.parseLong(f[1]));
    }
    return check.check();
  }

  // ==================================================================== helpers

  private ContenderProcess contenders(
      String label, int n, long holdMinMs, long holdMaxMs, String... more) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "lock=" + LOCK,
                "counter=" + COUNTER,
                "ttl=" + TTL,
                "hold-min-ms=" + holdMinMs,
                "hold-max-ms=" + holdMaxMs,
                "stop=" + work.resolve("stop"),
                "seed=" + (seed ^ label.hashCode())));
    args.addAll(List.of(more));
    ContenderProcess p =
        ContenderProcess.start(server, work, label, n, args.toArray(new String[0]));
    processes.add(p);
    return p;
  }

  /** Grants recorded so far by {@code ps}. */
  private static int grants(List<ContenderProcess> ps) {
    int n = 0;
    for (ContenderProcess p : ps) {
      for (LockHistory.Event e : p.events()) {
        n += e.type().equals("grant") ? 1 : 0;
      }
    }
    return n;
  }

  /** Whether a grant was received after {@code nanos} by any of {@code ps}. */
  private static boolean grantedAfter(List<ContenderProcess> ps, long nanos) {
    for (ContenderProcess p : ps) {
      for (LockHistory.Event e : p.events()) {
        if (e.type().equals("grant") && e.nanos() > nanos) {
          return true;
        }
      }
    }
    return false;
  }

  /** Acknowledged writes by {@code ps} with a token above {@code token}. */
  private static int acknowledgedAfter(List<ContenderProcess> ps, long token) {
    int n = 0;
    for (ContenderProcess p : ps) {
      for (LockHistory.Event e : p.events()) {
        n += e.type().equals("ok") && e.num(0) > token ? 1 : 0;
      }
    }
    return n;
  }

  /** Whether some contender of {@code p} has, as its last recorded step, one of {@code steps}. */
  private static boolean holding(ContenderProcess p, Set<String> steps) {
    Map<Integer, String> lastStep = new HashMap<>();
    for (LockHistory.Event e : p.events()) {
      lastStep.put(e.contender(), e.type());
    }
    return lastStep.values().stream().anyMatch(steps::contains);
  }

  private static boolean hasEvent(ContenderProcess p, String type, long token) {
    return p.events().stream().anyMatch(e -> e.type().equals(type) && e.num(0) == token);
  }

  private static String tail(ContenderProcess p, int n) {
    List<LockHistory.Event> all = p.events();
    return all.subList(Math.max(0, all.size() - n), all.size()).toString();
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Polls {@code condition} every 10 ms until it holds; fails with {@code state} at {@link #AWAIT}.
   */
  private void await(BooleanSupplier condition, String what, Supplier<String> state) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after %s waiting for %s (%s); %s", AWAIT, what, state.get(), ctx());
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }

  private String ctx() {
    return "seed=" + seed + " (rerun with -Dcairn.it.seed=" + seed + "), work dir=" + work;
  }
}
