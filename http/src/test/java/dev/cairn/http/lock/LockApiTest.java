package dev.cairn.http.lock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/locks} and fenced writes, over real HTTP against a real server. */
@ExtendWith(SharedServer.class)
@Timeout(120)
class LockApiTest {
  private static final String NS = "lock-test";
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

  private static JsonNode acquire(String name, String body) {
    return s.post(P + "/locks/" + name, body).ok();
  }

  @Test
  void acquireStatusAndRelease() {
    JsonNode g = acquire("plain", "{\"ttl\": 30}");
    assertThat(g.path("name").asText()).isEqualTo("plain");
    long token = g.path("fencing_token").asLong();
    long lease = g.path("lease").asLong();
    assertThat(token).isPositive();
    assertThat(lease).isPositive();
    JsonNode st = s.get(P + "/locks/plain").ok();
    assertThat(st.path("holder").path("fencing_token").asLong()).isEqualTo(token);
    assertThat(st.path("holder").path("key").asText()).isEqualTo(g.path("key").asText());
    assertThat(st.path("waiters").size()).isZero();
    s.delete(P + "/locks/plain?token=" + (token - 1)).problem(409, "not_holder");
    assertThat(s.get(P + "/locks/plain").ok().path("holder").path("fencing_token").asLong())
        .isEqualTo(token);
    s.delete(P + "/locks/plain?token=" + token).ok();
    assertThat(s.get(P + "/locks/plain").ok().path("holder").isNull()).isTrue();
    s.delete(P + "/locks/plain?token=" + token).problem(409, "not_holder");
  }

  @Test
  void revokingTheLeaseReleasesEveryLockItHoldsAndGrantsTheNext() throws Exception {
    long lease = grant(30);
    acquire("revoke/one", "{\"lease\": " + lease + "}");
    acquire("revoke/two", "{\"lease\": " + lease + "}");
    CompletableFuture<JsonNode> next =
        CompletableFuture.supplyAsync(() -> acquire("revoke/one", "{\"ttl\": 30}"));
    TestServer.await(
        Duration.ofSeconds(20),
        "a waiter queued",
        () -> s.get(P + "/locks/revoke/one").ok().path("waiters").size() == 1);
    s.delete(P + "/leases/" + lease).ok();
    assertThat(next.get(30, TimeUnit.SECONDS).path("lease").asLong()).isNotEqualTo(lease);
    assertThat(s.get(P + "/locks/revoke/two").ok().path("holder").isNull()).isTrue();
  }

  @Test
  void aGrantWhoseLeaseEndedDoesNotReleaseTheNextGenerationOfItsKey() {
    long lease = grant(30);
    JsonNode old = acquire("generation", "{\"lease\": " + lease + "}");
    s.delete(P + "/leases/" + lease).ok();
    JsonNode next = acquire("generation", "{\"ttl\": 30}");
    s.delete(P + "/locks/generation?token=" + old.path("fencing_token").asLong())
        .problem(409, "not_holder");
    JsonNode holder = s.get(P + "/locks/generation").ok().path("holder");
    assertThat(holder.path("fencing_token").asLong())
        .isEqualTo(next.path("fencing_token").asLong());
    s.delete(P + "/locks/generation?token=" + next.path("fencing_token").asLong()).ok();
    assertThat(s.get(P + "/locks/generation").ok().path("holder").isNull()).isTrue();
  }

  @Test
  void aTryLockOnAHeldLockTimesOutAtOnceAndLeavesNoWaiter() {
    acquire("try", "{\"ttl\": 30}");
    s.post(P + "/locks/try", "{\"ttl\": 30, \"timeout_ms\": 0}").problem(408, "lock_timeout");
    assertThat(s.get(P + "/locks/try").ok().path("waiters").size()).isZero();
  }

  @Test
  void aTimedOutWaiterLeavesTheQueue() {
    long lease = grant(30);
    acquire("slow", "{\"ttl\": 30}");
    s.post(P + "/locks/slow", "{\"lease\": " + lease + ", \"timeout_ms\": 300}")
        .problem(408, "lock_timeout");
    assertThat(s.get(P + "/locks/slow").ok().path("waiters").size()).isZero();
  }

  @Test
  void anUnknownLeaseAndBadBodiesAreRefused() {
    s.post(P + "/locks/x", "{\"lease\": 987654321}").problem(404, "lease_not_found");
    s.post(P + "/locks/x", "{}").problem(400, "malformed_request");
    s.post(P + "/locks/x", "{\"ttl\": 5, \"timeout_ms\": 999999}").problem(400, "invalid_argument");
    s.delete(P + "/locks/x").problem(400, "malformed_request");
  }

  @Test
  void namesMayHoldSlashesAndDoNotNest() {
    JsonNode outer = acquire("a", "{\"ttl\": 30, \"timeout_ms\": 0}");
    JsonNode inner = acquire("a/b/c", "{\"ttl\": 30, \"timeout_ms\": 0}");
    assertThat(inner.path("name").asText()).isEqualTo("a/b/c");
    assertThat(s.get(P + "/locks/a/b/c").ok().path("holder").path("fencing_token").asLong())
        .isEqualTo(inner.path("fencing_token").asLong());
    assertThat(s.get(P + "/locks/a").ok().path("waiters").size()).isZero();
    assertThat(outer.path("fencing_token").asLong()).isPositive();
    // The default namespace has its own locks.
    JsonNode def = s.post("/v1/locks/a", "{\"ttl\": 30, \"timeout_ms\": 0}").ok();
    assertThat(def.path("name").asText()).isEqualTo("a");
  }

  @Test
  void anExpiredHoldersLockPassesOnWithinTtlPlusASecondAndItsLateFencedWriteIsRefused()
      throws Exception {
    JsonNode old = acquire("expiry", "{\"ttl\": 2}");
    long oldToken = old.path("fencing_token").asLong();
    s.putKv(NS, "guarded", "v0").ok();
    s.put(P + "/kv/guarded", "v1", "X-Cairn-Fence", "expiry:" + oldToken).ok();
    long start = System.nanoTime();
    CompletableFuture<JsonNode> next =
        CompletableFuture.supplyAsync(
            () -> s.post(P + "/locks/expiry", "{\"ttl\": 30, \"timeout_ms\": 20000}").ok());
    JsonNode g = next.get(30, TimeUnit.SECONDS);
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(waitedMs).isLessThan(3_000);
    assertThat(g.path("fencing_token").asLong()).isGreaterThan(oldToken);
    s.put(P + "/kv/guarded", "late", "X-Cairn-Fence", "expiry:" + oldToken).problem(412, "fenced");
    s.delete(P + "/kv/guarded", "X-Cairn-Fence", "expiry:" + oldToken).problem(412, "fenced");
    s.post(
            P + "/txn",
            "{\"compare\": [{\"fence\": {\"lock\": \"expiry\", \"token\": "
                + oldToken
                + "}}], \"success\": [{\"put\": {\"key\": \"guarded\", \"value\": \"late\"}}]}")
        .problem(412, "fenced");
    assertThat(s.get(P + "/kv/guarded").ok().path("kv").path("value").asText()).isEqualTo("v1");
    long newToken = g.path("fencing_token").asLong();
    s.post(
            P + "/txn",
            "{\"compare\": [{\"fence\": {\"lock\": \"expiry\", \"token\": "
                + newToken
                + "}}], \"success\": [{\"put\": {\"key\": \"guarded\", \"value\": \"v2\"}}]}")
        .ok();
    assertThat(s.get(P + "/kv/guarded").ok().path("kv").path("value").asText()).isEqualTo("v2");
  }

  @Test
  void contendersOverHttpNeverOverlapLoseNoUpdateAndAreServedInOrder() throws Exception {
    int contenders = 16;
    int rounds = 5;
    s.putKv(NS, "counter", "0").ok();
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int c = 0; c < contenders; c++) {
      long lease = grant(60);
      all.add(
          CompletableFuture.runAsync(
              () -> {
                for (int r = 0; r < rounds; r++) {
                  JsonNode g = acquire("counter", "{\"lease\": " + lease + "}");
                  long token = g.path("fencing_token").asLong();
                  if (inside.incrementAndGet() != 1) {
                    overlaps.incrementAndGet();
                  }
                  tokens.add(token);
                  long n =
                      Long.parseLong(
                          s.get(P + "/kv/counter").ok().path("kv").path("value").asText());
                  s.put(P + "/kv/counter", "" + (n + 1), "X-Cairn-Fence", "counter:" + token).ok();
                  inside.decrementAndGet();
                  s.delete(P + "/locks/counter?token=" + token).ok();
                }
              }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertThat(overlaps.get()).isZero();
    assertThat(s.get(P + "/kv/counter").ok().path("kv").path("value").asText())
        .isEqualTo("" + contenders * rounds);
    assertThat(tokens).hasSize(contenders * rounds).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void waitersAreGrantedInArrivalOrder() throws Exception {
    JsonNode first = acquire("fifo", "{\"ttl\": 30}");
    List<CompletableFuture<JsonNode>> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long lease = grant(30);
      waiting.add(
          CompletableFuture.supplyAsync(() -> acquire("fifo", "{\"lease\": " + lease + "}")));
      int n = i + 1;
      TestServer.await(
          Duration.ofSeconds(20),
          "waiter " + n + " queued",
          () -> s.get(P + "/locks/fifo").ok().path("waiters").size() == n);
    }
    JsonNode queue = s.get(P + "/locks/fifo").ok().path("waiters");
    long token = first.path("fencing_token").asLong();
    for (int i = 0; i < 4; i++) {
      s.delete(P + "/locks/fifo?token=" + token).ok();
      JsonNode g = waiting.get(i).get(30, TimeUnit.SECONDS);
      assertThat(g.path("key").asText()).isEqualTo(queue.get(i).path("key").asText());
      assertThat(g.path("fencing_token").asLong())
          .isEqualTo(queue.get(i).path("since_revision").asLong());
      token = g.path("fencing_token").asLong();
    }
  }
}
