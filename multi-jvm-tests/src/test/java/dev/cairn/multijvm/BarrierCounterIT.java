package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Barriers and the counter against a real server process, with members, holders and adders in
 * separate client processes ({@link RecipeWorker}), each with a lease of {@link #TTL} seconds kept
 * alive by its process until it is killed with SIGKILL:
 *
 * <ul>
 *   <li>a double barrier's member killed while it waits to enter: the round does not fill with it
 *       once its lease has ended, nobody passes before {@code count} live members have entered, and
 *       then exactly those pass, together;
 *   <li>a double barrier's member killed inside: the others' leave returns only once its lease
 *       could have ended, and within TTL + 1 s of the kill;
 *   <li>a simple barrier's holder killed: its waiters stay blocked while it lives, and go on once
 *       its lease could have ended, within TTL + 1 s of the kill;
 *   <li>a counter added to from three processes: the final value is the number of additions, and
 *       every addition was answered with its own value.
 * </ul>
 *
 * <p>One server for the class; each test uses its own barrier or counter name. The work directory
 * under {@code target/it-work} keeps every process's history and output.
 */
class BarrierCounterIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TTL = 2;
  private static final long TTL_NANOS = TTL * 1_000_000_000L;
  private static ProofRun run;

  @BeforeAll
  static void start() throws IOException {
    run = ProofRun.start("barrier-counter");
  }

  @AfterAll
  static void stop() throws Exception {
    run.close();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aMemberKilledWhileWaitingToEnterNoLongerCountsOnceItsLeaseEnds() throws Exception {
    String b = "enter-kill";
    ContenderProcess early = worker("enter-a", 2, "role=member", "barrier=" + b, "count=4");
    ContenderProcess victim = worker("enter-k", 1, "role=member", "barrier=" + b, "count=4");
    run.await(() -> members(b).size() == 3, "three members in " + b);
    long at = victim.kill9();
    run.await(() -> members(b).size() == 2, "the killed member's key gone with its lease");
    long goneMs = (System.nanoTime() - at) / 1_000_000;
    assertThat(events(early, "entered")).as("passed with 2 live of 4; %s", run.ctx()).isEmpty();
    // the round fills with two more live members, and exactly the four live ones pass together
    ContenderProcess late = worker("enter-b", 2, "role=member", "barrier=" + b, "count=4");
    run.await(
        () -> events(early, "entered").size() + events(late, "entered").size() == 4,
        "the four live members through");
    List<LockHistory.Event> entered = new ArrayList<>(events(early, "entered"));
    entered.addAll(events(late, "entered"));
    long lastEnterSent =
        events(late, "enter-sent").stream().mapToLong(LockHistory.Event::nanos).max().orElseThrow();
    assertThat(entered)
        .as("nobody passes before the fourth live member asked to enter; %s", run.ctx())
        .allSatisfy(e -> assertThat(e.nanos()).isGreaterThan(lastEnterSent));
    Set<Long> rounds = new HashSet<>();
    entered.forEach(e -> rounds.add(e.num(1)));
    assertThat(rounds).as("one round; %s", run.ctx()).hasSize(1);
    long round = rounds.iterator().next();
    // The server's own account: at the revision the round filled, its four members were the
    // four live ones, and the killed member's key had gone before.
    JsonNode status = json(Http.get(run.server.uri("/v1/barriers/" + b)));
    long cutoff = status.path("cutoff").asLong();
    Set<String> alive = new HashSet<>();
    String killedKey = null;
    for (WatchHistory.Change c :
        WatchHistory.read(run.server, "_cairn/barriers/" + b + "/", true, round)) {
      if (c.key().endsWith("/ready")) {
        continue;
      }
      if (c.put()) {
        alive.add(c.key());
      } else {
        alive.remove(c.key());
        killedKey = c.key();
      }
    }
    assertThat(killedKey)
        .as("the killed member's key deleted before the round; %s", run.ctx())
        .isNotNull();
    assertThat(alive).as("members when the round filled; %s", run.ctx()).hasSize(4);
    assertThat(status.path("members")).as(run.ctx()).hasSize(4);
    assertThat(status.path("members").findValuesAsText("key")).doesNotContain(killedKey);
    assertThat(status.path("members").findValues("since_revision"))
        .allSatisfy(r -> assertThat(r.asLong()).isLessThanOrEqualTo(cutoff));
    System.out.printf(
        "double barrier, member killed before the round filled: its key gone %d ms after the"
            + " kill (TTL %d s); the four live members passed in round %d%n",
        goneMs, TTL, round);
    Files.createFile(run.stopFile("enter-a"));
    Files.createFile(run.stopFile("enter-b"));
    run.await(
        () -> events(early, "left").size() + events(late, "left").size() == 4, "all four left");
  }

  /**
   * The other side of the same rule: until its lease ends, a killed member still counts (Cairn
   * cannot tell a dead member from a slow one but by its lease). A member arriving meanwhile fills
   * the round with it; the live ones pass, and their leave waits for the dead one's lease.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aKilledMemberStillCountsUntilItsLeaseEnds() throws Exception {
    String b = "enter-kill-counted";
    ContenderProcess early = worker("counted-a", 2, "role=member", "barrier=" + b, "count=4");
    // a lease long enough for the fourth member to arrive before it ends, on a loaded machine
    ContenderProcess victim =
        worker("counted-k", 1, "role=member", "barrier=" + b, "count=4", "ttl=4");
    run.await(() -> members(b).size() == 3, "three members in " + b);
    long lease = events(victim, "enter-sent").get(0).num(0);
    run.await(() -> lastRenewSent(victim, lease) > 0, "a renewal of the victim's lease");
    long at = victim.kill9();
    HttpResponse<String> fourth =
        Http.post(
            run.server.uri("/v1/barriers/" + b + "/enter"),
            "{\"count\": 4, \"ttl\": 30, \"timeout_ms\": 5000}");
    long passed = System.nanoTime();
    assertThat(passed)
        .as("the fourth passed before the killed member's lease could end; %s", run.ctx())
        .isLessThan(lastRenewSent(victim, lease) + 4_000_000_000L);
    assertThat(fourth.statusCode()).as("%s; %s", fourth.body(), run.ctx()).isEqualTo(200);
    run.await(() -> events(early, "entered").size() == 2, "the two live early members through");
    Files.createFile(run.stopFile("counted-a"));
    JsonNode me = JSON.readTree(fourth.body());
    HttpResponse<String> left =
        Http.post(
            run.server.uri("/v1/barriers/" + b + "/leave"),
            "{\"lease\": " + me.path("lease").asLong() + ", \"timeout_ms\": 20000}");
    long leftAt = System.nanoTime();
    assertThat(left.statusCode()).as("%s; %s", left.body(), run.ctx()).isEqualTo(200);
    assertThat(leftAt)
        .as("the leave waited for the dead member's lease; %s", run.ctx())
        .isGreaterThanOrEqualTo(lastRenewSent(victim, lease) + 4_000_000_000L);
    run.await(() -> events(early, "left").size() == 2, "the early members left");
    System.out.printf(
        "double barrier, member killed before the round filled, fourth member %d ms after the"
            + " kill: passed with it counted; the leave returned %d ms after the kill (TTL 4 s)%n",
        (passed - at) / 1_000_000, (leftAt - at) / 1_000_000);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void leaversWaitForAMemberKilledInsideUntilItsLeaseEnds() throws Exception {
    String b = "inside-kill";
    ContenderProcess others = worker("inside-a", 2, "role=member", "barrier=" + b, "count=3");
    ContenderProcess victim = worker("inside-k", 1, "role=member", "barrier=" + b, "count=3");
    run.await(
        () -> events(others, "entered").size() == 2 && events(victim, "entered").size() == 1,
        "all three inside");
    Files.createFile(run.stopFile("inside-a"));
    run.await(
        () -> members(b).size() == 1, "the two others gone from the barrier, waiting to leave");
    long at = victim.kill9();
    run.await(() -> events(others, "left").size() == 2, "the others' leave returned");
    long lease = events(victim, "entered").get(0).num(0);
    long earliest = lastRenewSent(victim, lease) + TTL_NANOS;
    List<Long> afterKillMs = new ArrayList<>();
    for (LockHistory.Event e : events(others, "left")) {
      afterKillMs.add((e.nanos() - at) / 1_000_000);
      assertThat(e.nanos())
          .as("%s not before the killed member's lease could end; %s", e, run.ctx())
          .isGreaterThanOrEqualTo(earliest);
      assertThat(e.nanos() - at)
          .as("%s within TTL + 1 s of the kill; %s", e, run.ctx())
          .isLessThanOrEqualTo(TTL_NANOS + 1_000_000_000L);
    }
    assertThat(members(b)).as(run.ctx()).isEmpty();
    System.out.printf(
        "double barrier, member killed inside: the others' leave returned %s ms after the kill"
            + " (TTL %d s)%n",
        afterKillMs, TTL);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aSimpleBarriersWaitersGoOnWhenItsKilledHoldersLeaseEnds() throws Exception {
    String b = "gate";
    ContenderProcess holder = worker("gate-h", 1, "role=holder", "barrier=" + b);
    run.await(() -> events(holder, "held").size() == 1, "the barrier held");
    ContenderProcess waiters = worker("gate-w", 3, "role=waiter", "barrier=" + b);
    run.await(() -> events(waiters, "wait-sent").size() == 3, "three waiting");
    // held past twice its TTL by its keepalives: nobody goes on meanwhile
    long held = events(holder, "held").get(0).nanos();
    run.await(() -> System.nanoTime() - held > 2 * TTL_NANOS, "2 TTL");
    assertThat(events(waiters, "open")).as("released while held; %s", run.ctx()).isEmpty();
    long lease = events(holder, "held").get(0).num(0);
    assertThat(lastRenewSent(holder, lease)).as("renewed; %s", run.ctx()).isGreaterThan(held);
    long at = holder.kill9();
    run.await(() -> events(waiters, "open").size() == 3, "the waiters going on");
    long earliest = lastRenewSent(holder, lease) + TTL_NANOS;
    List<Long> afterKillMs = new ArrayList<>();
    for (LockHistory.Event e : events(waiters, "open")) {
      afterKillMs.add((e.nanos() - at) / 1_000_000);
      assertThat(e.nanos())
          .as("%s not before the holder's lease could end; %s", e, run.ctx())
          .isGreaterThanOrEqualTo(earliest);
      assertThat(e.nanos() - at)
          .as("%s within TTL + 1 s of the kill; %s", e, run.ctx())
          .isLessThanOrEqualTo(TTL_NANOS + 1_000_000_000L);
    }
    assertThat(waiters.awaitExit(ProofRun.AWAIT)).as(waiters.output()).isEqualTo(0);
    System.out.printf(
        "simple barrier, holder killed: waiters went on %s ms after the kill (TTL %d s)%n",
        afterKillMs, TTL);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void concurrentAdditionsFromThreeProcessesCountExactly() throws Exception {
    int processesN = 3;
    int threads = 4;
    int adds = 50;
    List<ContenderProcess> adders = new ArrayList<>();
    for (int p = 1; p <= processesN; p++) {
      adders.add(worker("add-" + p, threads, "role=adder", "counter=hits", "items=" + adds));
    }
    List<LockHistory.Event> added = new ArrayList<>();
    for (ContenderProcess p : adders) {
      assertThat(p.awaitExit(ProofRun.AWAIT))
          .as("%s: %s; %s", p, p.output(), run.ctx())
          .isEqualTo(0);
      assertThat(events(p, "error")).as(run.ctx()).isEmpty();
      added.addAll(events(p, "added"));
    }
    int total = processesN * threads * adds;
    JsonNode counter = json(Http.get(run.server.uri("/v1/counters/hits")));
    assertThat(counter.path("value").asLong()).as(run.ctx()).isEqualTo(total);
    // every addition saw a value of its own: 1..total, each once, in revision order
    added.sort((x, y) -> Long.compare(x.num(1), y.num(1)));
    List<Long> values = added.stream().map(e -> e.num(0)).toList();
    List<Long> expected = new ArrayList<>();
    for (long v = 1; v <= total; v++) {
      expected.add(v);
    }
    assertThat(values).as("answered values in revision order; %s", run.ctx()).isEqualTo(expected);
    System.out.printf(
        "counter: %d additions from %d processes, final %d%n", total, processesN, total);
  }

  // ==================================================================== helpers

  private static ContenderProcess worker(String label, int threads, String... more)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("ttl=" + TTL));
    args.addAll(List.of(more));
    return run.worker(label, threads, args.toArray(new String[0]));
  }

  private static List<LockHistory.Event> events(ContenderProcess p, String type) {
    return p.events().stream().filter(e -> e.type().equals(type)).toList();
  }

  /** The send time of the last answered keepalive of {@code lease}, or 0. */
  private static long lastRenewSent(ContenderProcess p, long lease) {
    return events(p, "renewed").stream()
        .filter(e -> e.num(0) == lease)
        .mapToLong(e -> e.num(1))
        .max()
        .orElse(0);
  }

  private static List<JsonNode> members(String barrier) {
    try {
      List<JsonNode> out = new ArrayList<>();
      json(Http.get(run.server.uri("/v1/barriers/" + barrier))).path("members").forEach(out::add);
      return out;
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    assertThat(r.statusCode()).as("%s; %s", r.body(), run.ctx()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
