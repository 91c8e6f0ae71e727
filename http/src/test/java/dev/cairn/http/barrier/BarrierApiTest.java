package dev.cairn.http.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestNamespace;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /v1/barriers}, over real HTTP against a real server. */
@Timeout(180)
class BarrierApiTest {
  @RegisterExtension static final TestNamespace ns = TestNamespace.of("barrier-test");

  private static CompletableFuture<JsonNode> enter(String b, long lease, int count) {
    return CompletableFuture.supplyAsync(
        () ->
            ns.post(
                    "/barriers/" + b + "/enter",
                    "{\"count\": " + count + ", \"lease\": " + lease + "}")
                .ok());
  }

  private static int members(String b) {
    return ns.get("/barriers/" + b).ok().path("members").size();
  }

  @Test
  void nobodyPassesBeforeCountHaveEnteredAndLeaveWaitsForAll() throws Exception {
    List<Long> leases = new ArrayList<>();
    List<CompletableFuture<JsonNode>> in = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long l = ns.grant(60);
      leases.add(l);
      in.add(enter("b", l, 3));
      if (i < 2) {
        int n = i + 1;
        TestServer.await(Duration.ofSeconds(20), n + " entered", () -> members("b") == n);
        assertThat(in).noneMatch(CompletableFuture::isDone);
        assertThat(ns.get("/barriers/b").ok().path("round").asLong()).isZero();
      }
    }
    long round = in.get(0).get(30, TimeUnit.SECONDS).path("round").asLong();
    for (CompletableFuture<JsonNode> e : in) {
      assertThat(e.get(30, TimeUnit.SECONDS).path("round").asLong()).isEqualTo(round);
    }
    CompletableFuture<JsonNode> first =
        CompletableFuture.supplyAsync(
            () -> ns.post("/barriers/b/leave", "{\"lease\": " + leases.get(0) + "}").ok());
    TestServer.await(Duration.ofSeconds(20), "one left", () -> members("b") == 2);
    assertThat(first).isNotDone();
    // The last member's lease ends: it has left too, and the leave returns.
    ns.post("/barriers/b/leave", "{\"lease\": " + leases.get(1) + ", \"timeout_ms\": 100}")
        .problem(408, "barrier_timeout");
    assertThat(first).isNotDone();
    ns.delete("/leases/" + leases.get(2)).ok();
    first.get(30, TimeUnit.SECONDS);
    ns.post("/barriers/b/leave", "{\"lease\": " + leases.get(0) + "}").problem(409, "not_member");
  }

  @Test
  void anEnterThatTimesOutIsWithdrawnAndItsLeaseRevoked() {
    JsonNode p =
        ns.post("/barriers/t/enter", "{\"count\": 2, \"ttl\": 30, \"timeout_ms\": 200}")
            .problem(408, "barrier_timeout");
    assertThat(p.path("code").asText()).isEqualTo("barrier_timeout");
    assertThat(members("t")).isZero();
    ns.post("/barriers/t/enter", "{\"count\": 0, \"ttl\": 30}").problem(400, "invalid_argument");
    ns.post("/barriers/t/enter", "{\"ttl\": 30}").problem(400, "malformed_request");
    ns.post("/barriers/t/enter", "{\"count\": 1, \"lease\": 987654321}")
        .problem(404, "lease_not_found");
  }

  @Test
  void aSimpleBarrierHoldsWaitersUntilReleasedOrItsLeaseEnds() throws Exception {
    ns.post("/barriers/s/wait", "{\"timeout_ms\": 0}").ok();
    ns.put("/barriers/s/hold", "{}").ok();
    CompletableFuture<JsonNode> waiter =
        CompletableFuture.supplyAsync(() -> ns.post("/barriers/s/wait", "{}").ok());
    ns.post("/barriers/s/wait", "{\"timeout_ms\": 200}").problem(408, "barrier_timeout");
    assertThat(ns.get("/barriers/s").ok().path("held").asBoolean()).isTrue();
    assertThat(waiter).isNotDone();
    assertThat(ns.delete("/barriers/s/hold").ok().path("released").asBoolean()).isTrue();
    waiter.get(30, TimeUnit.SECONDS);
    assertThat(ns.get("/barriers/s").ok().path("held").asBoolean()).isFalse();
    // Bound to a lease: the hold ends with it.
    long lease = ns.put("/barriers/s/hold", "{\"ttl\": 30}").ok().path("lease").asLong();
    CompletableFuture<JsonNode> second =
        CompletableFuture.supplyAsync(() -> ns.post("/barriers/s/wait", "{}").ok());
    ns.post("/barriers/s/wait", "{\"timeout_ms\": 200}").problem(408, "barrier_timeout");
    ns.delete("/leases/" + lease).ok();
    second.get(30, TimeUnit.SECONDS);
  }

  /**
   * Members loop enter → leave over HTTP. Each counts its arrival before it enters and its
   * departure before it leaves: no enter may pass before all have arrived in that round, and no
   * leave before all have started to leave.
   */
  @Test
  void roundsOfConcurrentMembersOverHttpNeverPassEarly() throws Exception {
    int members = 5;
    int rounds = 4;
    AtomicIntegerArray arrived = new AtomicIntegerArray(rounds);
    AtomicIntegerArray departing = new AtomicIntegerArray(rounds);
    AtomicInteger early = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(members);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      all.add(
          CompletableFuture.runAsync(
              () -> {
                long l = ns.grant(60);
                for (int r = 0; r < rounds; r++) {
                  arrived.incrementAndGet(r);
                  ns.post(
                          "/barriers/loop/enter",
                          "{\"count\": " + members + ", \"lease\": " + l + "}")
                      .ok();
                  if (arrived.get(r) != members) {
                    early.incrementAndGet();
                  }
                  departing.incrementAndGet(r);
                  ns.post("/barriers/loop/leave", "{\"lease\": " + l + "}").ok();
                  if (departing.get(r) != members) {
                    early.incrementAndGet();
                  }
                }
              },
              threads));
    }
    try {
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(150, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertThat(early.get()).isZero();
    for (int r = 0; r < rounds; r++) {
      assertThat(arrived.get(r)).isEqualTo(members);
      assertThat(departing.get(r)).isEqualTo(members);
    }
  }
}
