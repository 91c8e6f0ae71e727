package dev.cairn.http.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/queues}, over real HTTP against a real server. */
@ExtendWith(SharedServer.class)
@Timeout(180)
class QueueApiTest {
  private static final String NS = "queue-test";
  private static final String P = "/v1/ns/" + NS;
  private static TestServer s;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
  }

  private static long grant(long ttl) {
    return s.post(P + "/leases", "{\"ttl\": " + ttl + "}").ok().path("id").asLong();
  }

  private static JsonNode push(String q, String value) {
    TestServer.Resp r = s.post(P + "/queues/" + q, "{\"value\": \"" + value + "\"}");
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    return r.json();
  }

  @Test
  void pushTakeAckInOrder() {
    JsonNode a = push("plain", "a");
    JsonNode b = push("plain", "b");
    JsonNode ta = s.post(P + "/queues/plain/take", "{\"ttl\": 30}").ok();
    assertThat(ta.path("id").asLong()).isEqualTo(a.path("id").asLong());
    assertThat(ta.path("value").asText()).isEqualTo("a");
    JsonNode tb = s.post(P + "/queues/plain/take", "{\"ttl\": 30}").ok();
    assertThat(tb.path("id").asLong()).isEqualTo(b.path("id").asLong());
    s.post(P + "/queues/plain/take", "{\"ttl\": 30, \"timeout_ms\": 0}")
        .problem(408, "queue_timeout");
    JsonNode st = s.get(P + "/queues/plain").ok();
    assertThat(st.path("length").asLong()).isEqualTo(2);
    assertThat(st.path("claimed").asLong()).isEqualTo(2);
    assertThat(st.path("visible").asLong()).isZero();
    String ack = P + "/queues/plain/claims/" + ta.path("id").asLong() + "?token=";
    s.delete(ack + (ta.path("token").asLong() + 1)).problem(409, "not_claimed");
    s.delete(ack + ta.path("token").asLong()).ok();
    s.delete(ack + ta.path("token").asLong()).problem(409, "not_claimed");
    assertThat(s.get(P + "/queues/plain").ok().path("length").asLong()).isEqualTo(1);
  }

  @Test
  void aRevokedTakersItemIsDeliveredAgainBeforeLaterOnes() {
    JsonNode a = push("re", "a");
    push("re", "b");
    JsonNode first = s.post(P + "/queues/re/take", "{\"ttl\": 30}").ok();
    s.delete(P + "/leases/" + first.path("lease").asLong()).ok();
    JsonNode again = s.post(P + "/queues/re/take", "{\"ttl\": 30}").ok();
    assertThat(again.path("id").asLong()).isEqualTo(a.path("id").asLong());
    assertThat(again.path("token").asLong()).isGreaterThan(first.path("token").asLong());
    s.delete(P + "/queues/re/claims/" + a.path("id").asLong() + "?token=" + first.path("token"))
        .problem(409, "not_claimed");
  }

  @Test
  void anExpiredTakersItemComesBackWithinItsTtlPlusASecond() throws Exception {
    push("exp", "a");
    JsonNode first = s.post(P + "/queues/exp/take", "{\"ttl\": 2}").ok();
    long start = System.nanoTime();
    JsonNode again = s.post(P + "/queues/exp/take", "{\"ttl\": 30, \"timeout_ms\": 20000}").ok();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
    assertThat(again.path("id").asLong()).isEqualTo(first.path("id").asLong());
  }

  @Test
  void aWaitingTakeIsAnsweredByAPush() throws Exception {
    CompletableFuture<JsonNode> waiting =
        CompletableFuture.supplyAsync(() -> s.post(P + "/queues/wait/take", "{\"ttl\": 30}").ok());
    TestServer.await(
        Duration.ofSeconds(20),
        "the taker is waiting",
        () ->
            s.get(P + "/kv/_cairn/queues/wait/takers/?prefix=true&count_only=true")
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
    s.post(P + "/queues/x", "{}").problem(400, "malformed_request");
    s.post(P + "/queues/x/take", "{}").problem(400, "malformed_request");
    s.post(P + "/queues/x/take", "{\"ttl\": 5, \"timeout_ms\": 999999}")
        .problem(400, "invalid_argument");
    s.post(P + "/queues/x/take", "{\"lease\": 987654321}").problem(404, "lease_not_found");
    s.delete(P + "/queues/x/claims/1").problem(400, "malformed_request");
    s.delete(P + "/queues/x/claims/abc?token=1").problem(400, "malformed_request");
    s.get(P + "/queues/x/nothing").problem(404, "not_found");
    s.put(P + "/queues/x", "{}").problem(405, "method_not_allowed");
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
                long lease = grant(60);
                int taken = 0;
                while (ackedCount.get() < total) {
                  TestServer.Resp r =
                      s.post(
                          P + "/queues/load/take",
                          "{\"lease\": " + lease + ", \"timeout_ms\": 500}");
                  if (r.status() == 408) {
                    continue;
                  }
                  JsonNode d = r.ok();
                  deliveries.incrementAndGet();
                  if (flaky && taken++ % 5 == 0) {
                    abandoned.incrementAndGet();
                    s.delete(P + "/leases/" + lease).ok();
                    lease = grant(60);
                    continue;
                  }
                  s.delete(
                          P
                              + "/queues/load/claims/"
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
    JsonNode st = s.get(P + "/queues/load").ok();
    assertThat(st.path("length").asLong()).isZero();
    assertThat(st.path("claimed").asLong()).isZero();
  }
}
