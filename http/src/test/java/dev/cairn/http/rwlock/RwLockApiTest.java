package dev.cairn.http.rwlock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestNamespace;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code /v1/rwlocks} over real HTTP against a real server. */
@Timeout(120)
class RwLockApiTest {
  @RegisterExtension static final TestNamespace ns = TestNamespace.of("rwlock-test");

  private static JsonNode acquire(String name, String mode, String rest) {
    return ns.post("/rwlocks/" + name, "{\"mode\": \"" + mode + "\", " + rest + "}").ok();
  }

  private static CompletableFuture<JsonNode> acquireLater(String name, String mode) {
    return CompletableFuture.supplyAsync(() -> acquire(name, mode, "\"ttl\": 30"), ns.pool());
  }

  private static JsonNode status(String name) {
    return ns.get("/rwlocks/" + name).ok();
  }

  private static void awaitWaiters(String name, int n) {
    TestServer.await(
        Duration.ofSeconds(30),
        n + " waiters on " + name,
        () -> status(name).path("waiters").size() == n);
  }

  @Test
  void onlyAHoldingWritersTokenFencesWrites() throws Exception {
    String h = "X-Cairn-Fence-Rwlock";
    String key = "/kv/fenced/by-writer";
    ns.put(key, "0").ok();
    // The oldest reader's key is first in the queue, yet a reader's token fences nothing.
    long reader = acquire("fence", "read", "\"ttl\": 30").path("fencing_token").asLong();
    ns.put(key, "r", h, "fence:" + reader).problem(412, "fenced");
    CompletableFuture<JsonNode> w = acquireLater("fence", "write");
    awaitWaiters("fence", 1);
    long waiting = status("fence").path("waiters").get(0).path("since_revision").asLong();
    ns.put(key, "w", h, "fence:" + waiting).problem(412, "fenced"); // a waiting writer
    ns.delete("/rwlocks/fence?token=" + reader).ok();
    long writer = w.get(30, TimeUnit.SECONDS).path("fencing_token").asLong();
    assertThat(writer).isEqualTo(waiting);
    ns.put(key, "w1", h, "fence:" + writer).ok();
    ns.post(
            "/txn",
            "{\"compare\": [{\"fence\": {\"rwlock\": \"fence\", \"token\": "
                + writer
                + "}}], \"success\": [{\"put\": {\"key\": \"fenced/by-writer\", \"value\": \"w2\"}}]}")
        .ok();
    ns.delete("/rwlocks/fence?token=" + writer).ok();
    acquire("fence", "read", "\"ttl\": 30");
    // Released, with a reader holding after it: the writer's late writes are refused.
    ns.put(key, "late", h, "fence:" + writer).problem(412, "fenced");
    ns.delete(key, h, "fence:" + writer).problem(412, "fenced");
    ns.post(
            "/txn",
            "{\"compare\": [{\"fence\": {\"rwlock\": \"fence\", \"token\": "
                + writer
                + "}}], \"success\": [{\"put\": {\"key\": \"fenced/by-writer\", \"value\": \"late\"}}]}")
        .problem(412, "fenced");
    assertThat(ns.get(key).ok().path("kv").path("value").asText()).isEqualTo("w2");
  }

  @Test
  void readersShareTheLockAndAWriterWaitsForThemAll() throws Exception {
    JsonNode r1 = acquire("share", "read", "\"ttl\": 30");
    JsonNode r2 = acquire("share", "read", "\"ttl\": 30");
    assertThat(r1.path("mode").asText()).isEqualTo("read");
    assertThat(r2.path("fencing_token").asLong()).isGreaterThan(r1.path("fencing_token").asLong());
    CompletableFuture<JsonNode> w = acquireLater("share", "write");
    awaitWaiters("share", 1);
    JsonNode st = status("share");
    assertThat(st.path("holders").size()).isEqualTo(2);
    assertThat(st.path("waiters").get(0).path("mode").asText()).isEqualTo("write");
    long waiterToken = st.path("waiters").get(0).path("since_revision").asLong();
    ns.delete("/rwlocks/share?token=" + waiterToken).problem(409, "not_holder");
    ns.delete("/rwlocks/share?token=" + r1.path("fencing_token").asLong()).ok();
    assertThat(status("share").path("holders").size()).isEqualTo(1);
    assertThat(w).isNotDone();
    JsonNode released = ns.delete("/rwlocks/share?token=" + r2.path("fencing_token").asLong()).ok();
    assertThat(released.path("mode").asText()).isEqualTo("read");
    JsonNode wg = w.get(30, TimeUnit.SECONDS);
    assertThat(wg.path("mode").asText()).isEqualTo("write");
    assertThat(wg.path("fencing_token").asLong()).isEqualTo(waiterToken);
    ns.delete("/rwlocks/share?token=" + r2.path("fencing_token").asLong())
        .problem(409, "not_holder");
  }

  @Test
  void aReaderArrivingBehindAWaitingWriterWaitsForIt() throws Exception {
    JsonNode r1 = acquire("fair", "read", "\"ttl\": 30");
    CompletableFuture<JsonNode> w = acquireLater("fair", "write");
    awaitWaiters("fair", 1);
    ns.post("/rwlocks/fair", "{\"mode\": \"read\", \"ttl\": 30, \"timeout_ms\": 0}")
        .problem(408, "lock_timeout");
    CompletableFuture<JsonNode> r2 = acquireLater("fair", "read");
    awaitWaiters("fair", 2);
    ns.delete("/rwlocks/fair?token=" + r1.path("fencing_token").asLong()).ok();
    JsonNode wg = w.get(30, TimeUnit.SECONDS);
    assertThat(r2).isNotDone();
    ns.delete("/rwlocks/fair?token=" + wg.path("fencing_token").asLong()).ok();
    assertThat(r2.get(30, TimeUnit.SECONDS).path("fencing_token").asLong())
        .isGreaterThan(wg.path("fencing_token").asLong());
  }

  @Test
  void badRequestsAreRefusedWithTheirCodes() {
    ns.post("/rwlocks/bad", "{\"ttl\": 30}").problem(400, "malformed_request");
    ns.post("/rwlocks/bad", "{\"mode\": \"upgrade\", \"ttl\": 30}")
        .problem(400, "malformed_request");
    ns.post("/rwlocks/bad", "{\"mode\": \"read\"}").problem(400, "malformed_request");
    ns.post("/rwlocks/bad", "{\"mode\": \"read\", \"ttl\": 30, \"timeout_ms\": -1}")
        .problem(400, "invalid_argument");
    ns.post("/rwlocks/bad", "{\"mode\": \"read\", \"lease\": 987654321}")
        .problem(404, "lease_not_found");
    ns.delete("/rwlocks/bad").problem(400, "malformed_request");
    ns.delete("/rwlocks/bad?token=x").problem(400, "malformed_request");
    ns.get("/rwlocks/").problem(404, "not_found");
    String tooLong = "n".repeat(5000);
    ns.post("/rwlocks/" + tooLong, "{\"mode\": \"read\", \"ttl\": 30}")
        .problem(413, "key_too_large");
    ns.get("/rwlocks/" + tooLong).problem(413, "key_too_large");
    long lease = ns.grant(30);
    acquire("bad", "read", "\"lease\": " + lease);
    ns.post("/rwlocks/bad", "{\"mode\": \"write\", \"lease\": " + lease + "}")
        .problem(409, "mode_conflict");
    assertThat(status("bad").path("holders").size()).isEqualTo(1);
    // The default namespace has its own read-write locks.
    assertThat(ns.server().get("/v1/rwlocks/bad").ok().path("holders").size()).isZero();
  }

  @Test
  void anExpiredWritersLockPassesOnWithinTtlPlusASecond() throws Exception {
    acquire("expiry", "write", "\"ttl\": 2");
    long start = System.nanoTime();
    JsonNode r = acquire("expiry", "read", "\"ttl\": 30, \"timeout_ms\": 20000");
    assertThat(TestServer.millisSince(start)).isLessThan(3_000);
    assertThat(r.path("mode").asText()).isEqualTo("read");
  }

  @Test
  void concurrentReadersAndWritersNeverOverlapAWriter() throws Exception {
    long seed = System.nanoTime();
    int contenders = 12;
    int rounds = 6;
    AtomicInteger readers = new AtomicInteger();
    AtomicInteger writers = new AtomicInteger();
    AtomicInteger violations = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    AtomicInteger mostReaders = new AtomicInteger();
    List<Long> writerTokens = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int c = 0; c < contenders; c++) {
      long lease = ns.grant(60);
      Random random = new Random(seed + c);
      all.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < rounds; i++) {
                  String mode = random.nextInt(3) == 0 ? "write" : "read";
                  JsonNode g = acquire("mixed", mode, "\"lease\": " + lease);
                  grants.incrementAndGet();
                  long token = g.path("fencing_token").asLong();
                  if (mode.equals("write")) {
                    writerTokens.add(token);
                    if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                      violations.incrementAndGet();
                    }
                    // Hold it across a request, so an overlapping grant would be seen.
                    ns.get("/rwlocks/mixed").ok();
                    writers.decrementAndGet();
                  } else {
                    mostReaders.accumulateAndGet(readers.incrementAndGet(), Math::max);
                    if (writers.get() != 0) {
                      violations.incrementAndGet();
                    }
                    ns.get("/rwlocks/mixed").ok();
                    readers.decrementAndGet();
                  }
                  ns.delete("/rwlocks/mixed?token=" + token).ok();
                }
              },
              ns.pool()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertThat(violations.get()).as("seed %d", seed).isZero();
    assertThat(grants.get()).isEqualTo(contenders * rounds);
    assertThat(writerTokens).as("seed %d", seed).isSorted().doesNotHaveDuplicates();
    assertThat(status("mixed").path("holders").size()).isZero();
    assertThat(status("mixed").path("waiters").size()).isZero();
  }
}
