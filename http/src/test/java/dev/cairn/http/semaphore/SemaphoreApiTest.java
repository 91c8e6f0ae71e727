package dev.cairn.http.semaphore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestNamespace;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /v1/semaphores} over real HTTP against a real server. */
@Timeout(120)
class SemaphoreApiTest {
  @RegisterExtension static final TestNamespace ns = TestNamespace.of("semaphore-test");

  private static JsonNode status(String name) {
    return ns.get("/semaphores/" + name).ok();
  }

  @Test
  void theFirstAcquisitionFixesThePermitsAndAnotherCountIsAConflict() throws Exception {
    ns.get("/semaphores/fixed").problem(404, "semaphore_not_found");
    ns.post("/semaphores/fixed", "{\"ttl\": 30}").problem(404, "semaphore_not_found");
    JsonNode a = ns.post("/semaphores/fixed", "{\"permits\": 2, \"ttl\": 30}").ok();
    assertThat(a.path("permits").asInt()).isEqualTo(2);
    ns.post("/semaphores/fixed", "{\"permits\": 3, \"ttl\": 30}")
        .problem(409, "semaphore_permits_mismatch");
    JsonNode b = ns.post("/semaphores/fixed", "{\"ttl\": 30}").ok();
    ns.post("/semaphores/fixed", "{\"permits\": 2, \"ttl\": 30, \"timeout_ms\": 0}")
        .problem(408, "semaphore_timeout");
    CompletableFuture<JsonNode> c =
        CompletableFuture.supplyAsync(
            () -> ns.post("/semaphores/fixed", "{\"permits\": 2, \"ttl\": 30}").ok(), ns.pool());
    TestServer.await(
        Duration.ofSeconds(30), "a waiter", () -> status("fixed").path("waiters").size() == 1);
    JsonNode st = status("fixed");
    assertThat(st.path("permits").asInt()).isEqualTo(2);
    assertThat(st.path("holders").size()).isEqualTo(2);
    long waiterToken = st.path("waiters").get(0).path("since_revision").asLong();
    ns.delete("/semaphores/fixed?token=" + waiterToken).problem(409, "not_holder");
    // The older holder releases: the waiter takes its permit.
    ns.delete("/semaphores/fixed?token=" + a.path("token").asLong()).ok();
    assertThat(c.get(30, TimeUnit.SECONDS).path("token").asLong()).isEqualTo(waiterToken);
    ns.delete("/semaphores/fixed?token=" + a.path("token").asLong()).problem(409, "not_holder");
    assertThat(status("fixed").path("holders").findValuesAsText("token"))
        .containsExactly(b.path("token").asText(), "" + waiterToken);
  }

  @Test
  void badRequestsAreRefusedWithTheirCodes() {
    ns.post("/semaphores/bad", "{\"permits\": 0, \"ttl\": 30}").problem(400, "invalid_argument");
    ns.post("/semaphores/bad", "{\"permits\": 2}").problem(400, "malformed_request");
    ns.post("/semaphores/bad", "{\"permits\": 2, \"ttl\": 30, \"timeout_ms\": 99999}")
        .problem(400, "invalid_argument");
    ns.post("/semaphores/bad", "{\"permits\": 2, \"lease\": 987654321}")
        .problem(404, "lease_not_found");
    ns.delete("/semaphores/bad").problem(400, "malformed_request");
    ns.delete("/semaphores/never?token=5").problem(404, "semaphore_not_found");
    ns.server().get("/v1/semaphores/").problem(404, "not_found");
    String tooLong = "n".repeat(5000);
    ns.post("/semaphores/" + tooLong, "{\"permits\": 2, \"ttl\": 30}")
        .problem(413, "key_too_large");
    ns.get("/semaphores/" + tooLong).problem(413, "key_too_large");
  }

  @Test
  void anExpiredHoldersPermitPassesOnWithinTtlPlusASecond() {
    ns.post("/semaphores/expiry", "{\"permits\": 1, \"ttl\": 2}").ok();
    long start = System.nanoTime();
    ns.post("/semaphores/expiry", "{\"ttl\": 30, \"timeout_ms\": 20000}").ok();
    assertThat(TestServer.millisSince(start)).isLessThan(3_000);
  }

  @Test
  void concurrentContendersNeverExceedThePermits() throws Exception {
    int permits = 3;
    int contenders = 12;
    int rounds = 5;
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int c = 0; c < contenders; c++) {
      long lease = ns.grant(60);
      all.add(
          CompletableFuture.runAsync(
              () -> {
                for (int r = 0; r < rounds; r++) {
                  JsonNode g =
                      ns.post(
                              "/semaphores/busy",
                              "{\"permits\": " + permits + ", \"lease\": " + lease + "}")
                          .ok();
                  grants.incrementAndGet();
                  most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                  // Hold it across a request, so an extra holder would be seen.
                  assertThat(status("busy").path("holders").size()).isBetween(1, permits);
                  inside.decrementAndGet();
                  ns.delete("/semaphores/busy?token=" + g.path("token").asLong()).ok();
                }
              },
              ns.pool()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertThat(most.get()).isBetween(1, permits);
    assertThat(grants.get()).isEqualTo(contenders * rounds);
    assertThat(status("busy").path("holders").size()).isZero();
    assertThat(status("busy").path("waiters").size()).isZero();
  }
}
