package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Holders in real client processes, kept alive by their keepalives and then {@code kill -9}ed: a
 * semaphore's permits and a read-write lock pass to the waiters within the TTL plus a second, the
 * waiters in arrival order, and never more holders than allowed while it happens.
 */
@ExtendWith(SharedServer.class)
@Timeout(180)
class KilledHolderTest {
  private static final String NS = "killed-holder-test";
  private static final String P = "/v1/ns/" + NS;
  private static final long TTL = 2;
  private static final ExecutorService pool = Executors.newCachedThreadPool();
  private static TestServer s;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /** A holder process and the grant it printed. */
  record Holder(Process process, JsonNode grant) {}

  private static Holder startHolder(String recipe, String fields) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                HolderMain.class.getName(),
                s.url(),
                P,
                recipe,
                fields,
                Long.toString(TTL))
            .redirectErrorStream(true)
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (Exception e) {
                lines.add("READER " + e);
              }
            },
            "holder-output");
    reader.setDaemon(true);
    reader.start();
    List<String> output = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (line == null) {
        if (System.nanoTime() - deadline > 0 || !p.isAlive()) {
          lines.drainTo(output);
          p.destroyForcibly();
          throw new AssertionError("holder printed no HELD within 60 s: " + output);
        }
        continue;
      }
      output.add(line);
      if (line.startsWith("HELD ")) {
        return new Holder(p, TestServer.JSON.readTree(line.substring(5)));
      }
    }
  }

  private static void kill(Holder h) throws Exception {
    h.process().destroyForcibly();
    assertThat(h.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Checks {@code check} on the status until {@code done}; counts the violations seen. */
  private static CompletableFuture<Integer> watchStatus(
      String path, java.util.function.Predicate<JsonNode> violates, CompletableFuture<?> done) {
    return CompletableFuture.supplyAsync(
        () -> {
          int violations = 0;
          while (!done.isDone()) {
            if (violates.test(s.get(path).ok())) {
              violations++;
            }
          }
          return violations;
        },
        pool);
  }

  @Test
  void aKilledSemaphoreHoldersPermitPassesToTheFirstWaiterWithinTheTtl() throws Exception {
    String recipe = "semaphores/killed";
    Holder a = startHolder(recipe, "\"permits\": 2");
    Holder b = startHolder(recipe, "\"permits\": 2");
    try {
      List<CompletableFuture<JsonNode>> waiting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        waiting.add(
            CompletableFuture.supplyAsync(
                () -> s.post(P + "/" + recipe, "{\"ttl\": 30, \"timeout_ms\": 20000}").ok(), pool));
        int n = i + 1;
        TestServer.await(
            Duration.ofSeconds(30),
            n + " waiters",
            () -> s.get(P + "/" + recipe).ok().path("waiters").size() == n);
      }
      JsonNode queue = s.get(P + "/" + recipe).ok().path("waiters");
      CompletableFuture<Void> done = new CompletableFuture<>();
      CompletableFuture<Integer> violations =
          watchStatus(P + "/" + recipe, st -> st.path("holders").size() > 2, done);
      // The holders' keepalives hold their permits well past the TTL.
      long since = System.nanoTime();
      TestServer.await(
          Duration.ofSeconds(TTL * 3), "1.5 TTLs", () -> TestServer.millisSince(since) > 3_000);
      assertThat(waiting).noneMatch(CompletableFuture::isDone);

      kill(a);
      long killed = System.nanoTime();
      JsonNode first = waiting.get(0).get(30, TimeUnit.SECONDS);
      assertThat(TestServer.millisSince(killed)).isLessThanOrEqualTo(TTL * 1000 + 1000);
      assertThat(first.path("token").asLong())
          .isEqualTo(queue.get(0).path("since_revision").asLong());
      assertThat(waiting.get(1)).isNotDone();

      kill(b);
      killed = System.nanoTime();
      JsonNode second = waiting.get(1).get(30, TimeUnit.SECONDS);
      assertThat(TestServer.millisSince(killed)).isLessThanOrEqualTo(TTL * 1000 + 1000);
      assertThat(second.path("token").asLong())
          .isEqualTo(queue.get(1).path("since_revision").asLong());
      assertThat(waiting.get(2)).isNotDone();
      done.complete(null);
      assertThat(violations.get(30, TimeUnit.SECONDS)).isZero();
      s.delete(P + "/" + recipe + "?token=" + first.path("token").asLong()).ok();
      assertThat(waiting.get(2).get(30, TimeUnit.SECONDS).path("token").asLong())
          .isEqualTo(queue.get(2).path("since_revision").asLong());
    } finally {
      a.process().destroyForcibly();
      b.process().destroyForcibly();
    }
  }

  @Test
  void aKilledWritersLockPassesToTheReadersBehindItWithinTheTtl() throws Exception {
    String recipe = "rwlocks/killed";
    Holder writer = startHolder(recipe, "\"mode\": \"write\"");
    try {
      AtomicInteger granted = new AtomicInteger();
      List<CompletableFuture<JsonNode>> readers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        readers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  JsonNode g =
                      s.post(
                              P + "/" + recipe,
                              "{\"mode\": \"read\", \"ttl\": 30, \"timeout_ms\": 20000}")
                          .ok();
                  granted.incrementAndGet();
                  return g;
                },
                pool));
      }
      TestServer.await(
          Duration.ofSeconds(30),
          "3 readers waiting",
          () -> s.get(P + "/" + recipe).ok().path("waiters").size() == 3);
      CompletableFuture<Void> done = new CompletableFuture<>();
      CompletableFuture<Integer> violations =
          watchStatus(
              P + "/" + recipe,
              st -> {
                JsonNode holders = st.path("holders");
                boolean writerHolds = false;
                for (JsonNode h : holders) {
                  writerHolds |= h.path("mode").asText().equals("write");
                }
                return writerHolds && holders.size() > 1;
              },
              done);
      long since = System.nanoTime();
      TestServer.await(
          Duration.ofSeconds(TTL * 3), "1.5 TTLs", () -> TestServer.millisSince(since) > 3_000);
      assertThat(granted.get()).isZero();

      kill(writer);
      long killed = System.nanoTime();
      for (CompletableFuture<JsonNode> r : readers) {
        assertThat(r.get(30, TimeUnit.SECONDS).path("mode").asText()).isEqualTo("read");
      }
      assertThat(TestServer.millisSince(killed)).isLessThanOrEqualTo(TTL * 1000 + 1000);
      assertThat(s.get(P + "/" + recipe).ok().path("holders").size()).isEqualTo(3);
      done.complete(null);
      assertThat(violations.get(30, TimeUnit.SECONDS)).isZero();
    } finally {
      writer.process().destroyForcibly();
    }
  }
}
