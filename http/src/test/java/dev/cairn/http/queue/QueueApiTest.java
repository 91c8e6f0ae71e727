package dev.cairn.http.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestNamespace;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /v1/queues}, over real HTTP against a real server. */
@Timeout(180)
class QueueApiTest {
  @RegisterExtension static final TestNamespace ns = TestNamespace.of("queue-test");

  private static JsonNode push(String q, String value) {
    TestServer.Resp r = ns.post("/queues/" + q, "{\"value\": \"" + value + "\"}");
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    return r.json();
  }

  @Test
  void pushTakeAckInOrder() {
    JsonNode a = push("plain", "a");
    JsonNode b = push("plain", "b");
    JsonNode ta = ns.post("/queues/plain/take", "{\"ttl\": 30}").ok();
    assertThat(ta.path("id").asLong()).isEqualTo(a.path("id").asLong());
    assertThat(ta.path("value").asText()).isEqualTo("a");
    JsonNode tb = ns.post("/queues/plain/take", "{\"ttl\": 30}").ok();
    assertThat(tb.path("id").asLong()).isEqualTo(b.path("id").asLong());
    ns.post("/queues/plain/take", "{\"ttl\": 30, \"timeout_ms\": 0}").problem(408, "queue_timeout");
    JsonNode st = ns.get("/queues/plain").ok();
    assertThat(st.path("length").asLong()).isEqualTo(2);
    assertThat(st.path("claimed").asLong()).isEqualTo(2);
    assertThat(st.path("visible").asLong()).isZero();
    String ack = "/queues/plain/claims/" + ta.path("id").asLong() + "?token=";
    ns.delete(ack + (ta.path("token").asLong() + 1)).problem(409, "not_claimed");
    ns.delete(ack + ta.path("token").asLong()).ok();
    ns.delete(ack + ta.path("token").asLong()).problem(409, "not_claimed");
    assertThat(ns.get("/queues/plain").ok().path("length").asLong()).isEqualTo(1);
  }

  @Test
  void aRevokedTakersItemIsDeliveredAgainBeforeLaterOnes() {
    JsonNode a = push("re", "a");
    push("re", "b");
    JsonNode first = ns.post("/queues/re/take", "{\"ttl\": 30}").ok();
    ns.delete("/leases/" + first.path("lease").asLong()).ok();
    JsonNode again = ns.post("/queues/re/take", "{\"ttl\": 30}").ok();
    assertThat(again.path("id").asLong()).isEqualTo(a.path("id").asLong());
    assertThat(again.path("token").asLong()).isGreaterThan(first.path("token").asLong());
    ns.delete("/queues/re/claims/" + a.path("id").asLong() + "?token=" + first.path("token"))
        .problem(409, "not_claimed");
  }

  @Test
  void anExpiredTakersItemComesBackWithinItsTtlPlusASecond() throws Exception {
    push("exp", "a");
    JsonNode first = ns.post("/queues/exp/take", "{\"ttl\": 2}").ok();
    long start = System.nanoTime();
    JsonNode again = ns.post("/queues/exp/take", "{\"ttl\": 30, \"timeout_ms\": 20000}").ok();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
    assertThat(again.path("id").asLong()).isEqualTo(first.path("id").asLong());
  }

  @Test
  void aWaitingTakeIsAnsweredByAPush() throws Exception {
    CompletableFuture<JsonNode> waiting =
        CompletableFuture.supplyAsync(() -> ns.post("/queues/wait/take", "{\"ttl\": 30}").ok());
    TestServer.await(
        Duration.ofSeconds(20),
        "the taker is waiting",
        () ->
            ns.get("/kv/_cairn/queues/wait/takers/?prefix=true&count_only=true")
                    .ok()
                    .path("count")
                    .asLong()
                == 1);
    JsonNode p = push("wait", "late");
    assertThat(waiting.get(30, TimeUnit.SECONDS).path("id").asLong())
        .isEqualTo(p.path("id").asLong());
  }

  @Test
  void badRequestsAreRefused() {
    ns.post("/queues/x", "{}").problem(400, "malformed_request");
    ns.post("/queues/x/take", "{}").problem(400, "malformed_request");
    ns.post("/queues/x/take", "{\"ttl\": 5, \"timeout_ms\": 999999}")
        .problem(400, "invalid_argument");
    ns.post("/queues/x/take", "{\"lease\": 987654321}").problem(404, "lease_not_found");
    ns.delete("/queues/x/claims/1").problem(400, "malformed_request");
    ns.delete("/queues/x/claims/abc?token=1").problem(400, "malformed_request");
    ns.get("/queues/x/nothing").problem(404, "not_found");
    ns.put("/queues/x", "{}").problem(405, "method_not_allowed");
  }

  /**
   * Producers and consumers over HTTP at once; some consumers abandon their item (their lease is
   * revoked, as when the taker is killed). Every item is acked exactly once and none is lost.
   */
  @Test
  void concurrentProducersAndConsumersWithAbandonedTakersLoseNothingAndAckEachOnce()
      throws Exception {
    int producers = 3;
    int perProducer = 30;
    int consumers = 6;
    int total = producers * perProducer;
    Map<String, AtomicInteger> acked = new ConcurrentHashMap<>();
    AtomicInteger ackedCount = new AtomicInteger();
    AtomicInteger deliveries = new AtomicInteger();
    AtomicInteger abandoned = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(producers + consumers);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int pid = p;
      all.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < perProducer; i++) {
                  push("load", pid + "-" + i);
                }
              },
              threads));
    }
    for (int c = 0; c < consumers; c++) {
      boolean flaky = c % 2 == 0;
      all.add(
          CompletableFuture.runAsync(
              () -> {
                long lease = ns.grant(60);
                int taken = 0;
                while (ackedCount.get() < total) {
                  TestServer.Resp r =
                      ns.post(
                          "/queues/load/take", "{\"lease\": " + lease + ", \"timeout_ms\": 500}");
                  if (r.status() == 408) {
                    continue;
                  }
                  JsonNode d = r.ok();
                  deliveries.incrementAndGet();
                  if (flaky && taken++ % 5 == 0) {
                    abandoned.incrementAndGet();
                    ns.delete("/leases/" + lease).ok();
                    lease = ns.grant(60);
                    continue;
                  }
                  ns.delete(
                          "/queues/load/claims/"
                              + d.path("id").asLong()
                              + "?token="
                              + d.path("token").asLong())
                      .ok();
                  acked
                      .computeIfAbsent(d.path("value").asText(), k -> new AtomicInteger())
                      .incrementAndGet();
                  ackedCount.incrementAndGet();
                }
              },
              threads));
    }
    try {
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(150, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertThat(acked).hasSize(total);
    assertThat(acked.values()).allMatch(n -> n.get() == 1);
    assertThat(ackedCount.get()).isEqualTo(total);
    assertThat(abandoned.get()).isPositive();
    assertThat(deliveries.get()).isEqualTo(total + abandoned.get());
    JsonNode st = ns.get("/queues/load").ok();
    assertThat(st.path("length").asLong()).isZero();
    assertThat(st.path("claimed").asLong()).isZero();
  }
}
