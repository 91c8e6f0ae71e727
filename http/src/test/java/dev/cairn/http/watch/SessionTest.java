package dev.cairn.http.watch;

import static dev.cairn.http.TestServer.await;
import static dev.cairn.http.TestServer.millisSince;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Session leases on a watch socket: kept alive by the server while the client speaks. */
class SessionTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static void putKeys(String prefix, int n, long lease) {
    for (int i = 0; i < n; i++) {
      Resp r = node.putKey(prefix + i, "v", lease);
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }
  }

  /**
   * Two sessions at once: one grants its lease on the socket, the other attaches a lease granted
   * over HTTP. Both heart-beat for 2.5 TTLs and their keys survive; then the first goes silent with
   * its socket open and the second closes its socket, and each one's keys vanish within TTL + 1 s.
   */
  @Test
  void sessionLeasesLiveWhileHeartbeatsFlowAndExpireOnceTheClientIsSilentOrGone() {
    long ttl = 2;
    try (WsClient silent = WsClient.connect(node);
        WsClient closing = WsClient.connect(node)) {
      silent.send("{\"lease_grant\":{\"ttl\":" + ttl + "}}");
      JsonNode granted = silent.expect("lease_granted", WsClient.has("lease_granted"));
      long l1 = granted.path("lease_granted").path("id").asLong();
      assertThat(granted.path("lease_granted").path("ttl").asLong()).isEqualTo(ttl);
      assertThat(granted.path("lease_granted").path("revision").asLong()).isPositive();
      putKeys("sess-silent/", 2, l1);

      long l2 = node.grant(ttl);
      closing.send("{\"lease_attach\":{\"id\":" + l2 + "}}");
      JsonNode attached = closing.expect("lease_attached", WsClient.has("lease_attached"));
      assertThat(attached.path("lease_attached").path("id").asLong()).isEqualTo(l2);
      putKeys("sess-closing/", 2, l2);

      long start = System.nanoTime();
      long lastBeat = start;
      while (millisSince(start) < ttl * 2500) {
        silent.send("{\"heartbeat\":{}}");
        closing.send("{\"heartbeat\":{}}");
        lastBeat = System.nanoTime();
        silent.expect("heartbeat echo", WsClient.has("heartbeat"));
        closing.expect("heartbeat echo", WsClient.has("heartbeat"));
        assertThat(node.count("sess-silent/"))
            .as("granted session keys after %d ms of heartbeats", millisSince(start))
            .isEqualTo(2);
        assertThat(node.count("sess-closing/"))
            .as("attached session keys after %d ms", millisSince(start))
            .isEqualTo(2);
        // Heartbeat pacing (~TTL/6), as a client library would; not a synchronisation point.
        LockSupport.parkNanos(Duration.ofMillis(ttl * 1000 / 6).toNanos());
      }
      long silenceFrom = lastBeat;
      closing.disconnect();
      long closedAt = System.nanoTime();

      long[] vanished = {0, 0};
      await(
          Duration.ofSeconds(3 * ttl + 2),
          "both sessions' keys to vanish",
          () -> {
            if (vanished[0] == 0 && node.count("sess-silent/") == 0) {
              vanished[0] = System.nanoTime();
            }
            if (vanished[1] == 0 && node.count("sess-closing/") == 0) {
              vanished[1] = System.nanoTime();
            }
            return vanished[0] != 0 && vanished[1] != 0;
          });
      long silentMs = Duration.ofNanos(vanished[0] - silenceFrom).toMillis();
      long closedMs = Duration.ofNanos(vanished[1] - closedAt).toMillis();
      assertThat(silent.isClosed()).as("the silent session's socket stays open").isFalse();
      assertThat(closedMs)
          .as("keys of the closed session vanished %d ms after close", closedMs)
          .isLessThanOrEqualTo(ttl * 1000 + 1000);
      assertThat(silentMs)
          .as(
              "keys of the silent session vanished %d ms after its last heartbeat (TTL %d s)",
              silentMs, ttl)
          .isLessThanOrEqualTo(ttl * 1000 + 1000)
          .isGreaterThanOrEqualTo(ttl * 1000 / 2);
      assertThat(node.leaseInfo(l1).code()).isEqualTo("lease_not_found");
      assertThat(node.leaseInfo(l2).code()).isEqualTo("lease_not_found");
    }
  }

  @Test
  void revokingOnTheSocketDeletesAtOnceAndUnknownLeasesAreErrors() {
    try (WsClient s = WsClient.connect(node)) {
      s.send("{\"lease_grant\":{\"ttl\":30,\"id\":424242}}");
      JsonNode granted = s.expect("lease_granted", WsClient.has("lease_granted"));
      assertThat(granted.path("lease_granted").path("id").asLong()).isEqualTo(424242);
      putKeys("sess-revoke/", 3, 424242);
      s.send("{\"lease_revoke\":{\"id\":424242}}");
      JsonNode revoked = s.expect("lease_revoked", WsClient.has("lease_revoked"));
      assertThat(revoked.path("lease_revoked").path("id").asLong()).isEqualTo(424242);
      assertThat(node.count("sess-revoke/")).isZero();
      s.send("{\"lease_attach\":{\"id\":424242}}");
      s.expect("lease_not_found on attach", WsClient.error("lease_not_found"));
      s.send("{\"lease_revoke\":{\"id\":424242}}");
      s.expect("lease_not_found on revoke", WsClient.error("lease_not_found"));
      s.send("{\"lease_grant\":{\"ttl\":30,\"id\":424243}}");
      s.expect("lease_granted", WsClient.has("lease_granted"));
      s.send("{\"lease_grant\":{\"ttl\":30,\"id\":424243}}");
      s.expect("lease_exists", WsClient.error("lease_exists"));
      assertThat(node.revoke(424243).status()).isEqualTo(200);
    }
  }

  /**
   * A real client process holds a session; kill -9 takes it away without a goodbye. Its keys stay
   * while it heart-beats (past the TTL), are still there right after the kill, and vanish within
   * TTL + 1 s of it.
   */
  @Test
  void theKeysOfAKilledClientProcessVanishWithinTheTtl() throws Exception {
    long ttl = 2;
    int keys = 3;
    String prefix = "sess-proc/";
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                SessionClientMain.class.getName(),
                node.url(),
                prefix,
                Long.toString(ttl),
                Integer.toString(keys))
            .redirectErrorStream(true);
    Process p = pb.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> output = new ArrayList<>();
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
            "session-client-output");
    reader.setDaemon(true);
    reader.start();
    try {
      long lease = -1;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (lease < 0) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line == null && (System.nanoTime() - deadline > 0 || !p.isAlive())) {
          lines.drainTo(output);
          throw new AssertionError(
              "client printed no READY within 30 s; output: "
                  + output
                  + (p.isAlive() ? "" : " (exited " + p.exitValue() + ")"));
        }
        if (line == null) {
          continue;
        }
        output.add(line);
        if (line.startsWith("READY ")) {
          lease = Long.parseLong(line.substring(6).trim());
        }
      }
      long ready = System.nanoTime();
      assertThat(node.count(prefix)).isEqualTo(keys);
      Resp info = node.leaseInfo(lease);
      assertThat(info.json().path("keys").size()).as(info.toString()).isEqualTo(keys);
      // The process keeps the session alive well past the TTL.
      await(
          Duration.ofSeconds(ttl * 3),
          "1.5 TTLs of a live session",
          () -> {
            assertThat(node.count(prefix))
                .as("keys %d ms after READY; client output %s", millisSince(ready), output)
                .isEqualTo(keys);
            return millisSince(ready) > ttl * 1500;
          });
      assertThat(p.isAlive()).isTrue();

      p.destroyForcibly();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      long killed = System.nanoTime();
      assertThat(node.count(prefix)).as("keys right after the kill").isEqualTo(keys);
      await(
          Duration.ofSeconds(ttl * 3),
          "keys of the killed client to vanish",
          () -> node.count(prefix) == 0);
      long after = millisSince(killed);
      assertThat(after)
          .as("keys vanished %d ms after kill -9 (TTL %d s)", after, ttl)
          .isLessThanOrEqualTo(ttl * 1000 + 1000);
      assertThat(node.leaseInfo(lease).code()).isEqualTo("lease_not_found");
    } finally {
      p.destroyForcibly();
    }
  }
}
