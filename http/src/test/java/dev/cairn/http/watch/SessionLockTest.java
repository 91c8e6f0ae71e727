package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Locks over the WebSocket session, with a real WebSocket client: {@code lock} → {@code locked}
 * bound to the session's lease, many locks on one connection, {@code unlock}, and {@code lock_lost}
 * on the session when its lease ends while it holds locks.
 */
@Timeout(120)
class SessionLockTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static long grant(WsClient ws, long ttl) {
    ws.send("{\"lease_grant\":{\"ttl\":" + ttl + "}}");
    return ws.expect("lease_granted", WAIT, WsClient.has("lease_granted"))
        .path("lease_granted")
        .path("id")
        .asLong();
  }

  private static JsonNode lock(WsClient ws, String name, String extra) {
    ws.send("{\"lock\":{\"name\":\"" + name + "\"" + extra + "}}");
    return ws.expect(
        "an answer for " + name,
        WAIT,
        m ->
            (m.has("locked") && m.path("locked").path("name").asText().equals(name))
                || (m.has("lock_failed")
                    && m.path("lock_failed").path("name").asText().equals(name)));
  }

  @Test
  void oneSessionHoldsManyLocksOnItsLeaseAndIsToldWhenTheLeaseIsRevoked() {
    try (WsClient ws = WsClient.connect(node);
        WsClient other = WsClient.connect(node)) {
      long lease = grant(ws, 30);
      JsonNode a = lock(ws, "sess/a", "").path("locked");
      JsonNode b = lock(ws, "sess/b", ",\"timeout_ms\":0").path("locked");
      assertThat(a.path("lease").asLong()).isEqualTo(lease);
      assertThat(b.path("lease").asLong()).isEqualTo(lease);
      assertThat(a.path("fencing_token").asLong()).isPositive();
      JsonNode held = node.get("/v1/locks/sess/a").ok().path("holder");
      assertThat(held.path("fencing_token").asLong()).isEqualTo(a.path("fencing_token").asLong());
      assertThat(held.path("lease").asLong()).isEqualTo(lease);

      // Another session waits its turn, and times out.
      grant(other, 30);
      JsonNode refused = lock(other, "sess/a", ",\"timeout_ms\":200").path("lock_failed");
      assertThat(refused.path("code").asText()).isEqualTo("lock_timeout");

      // The session's lease revoked from elsewhere: each lock it held is reported lost.
      node.revoke(lease);
      JsonNode lostA =
          ws.expect(
              "lock_lost of sess/a",
              WAIT,
              m -> m.path("lock_lost").path("name").asText().equals("sess/a"));
      assertThat(lostA.path("lock_lost").path("code").asText()).isEqualTo("lock_lost");
      assertThat(lostA.path("lock_lost").path("fencing_token").asLong())
          .isEqualTo(a.path("fencing_token").asLong());
      ws.awaitLog(
          "lock_lost of sess/b",
          WAIT,
          log ->
              log.stream()
                  .anyMatch(m -> m.path("lock_lost").path("name").asText().equals("sess/b")));
      // The other session now gets the lock.
      JsonNode next = lock(other, "sess/a", "").path("locked");
      assertThat(next.path("fencing_token").asLong())
          .isGreaterThan(a.path("fencing_token").asLong());
    }
  }

  @Test
  void anUnlockedLockIsNotReportedLostAndASilentSessionLosesItsLocksWithItsLease() {
    try (WsClient ws = WsClient.connect(node)) {
      ws.send("{\"lock\":{\"name\":\"sess/none\"}}");
      JsonNode noLease = ws.expect("an error", WAIT, WsClient.has("error"));
      assertThat(noLease.path("error").path("code").asText()).isEqualTo("lease_not_found");

      grant(ws, 1);
      JsonNode u = lock(ws, "sess/u", "").path("locked");
      long token = u.path("fencing_token").asLong();
      ws.send("{\"unlock\":{\"name\":\"sess/u\",\"token\":" + (token + 1000) + "}}");
      assertThat(
              ws.expect("unlock_failed", WAIT, WsClient.has("unlock_failed"))
                  .path("unlock_failed")
                  .path("code")
                  .asText())
          .isEqualTo("not_holder");
      ws.send("{\"unlock\":{\"name\":\"sess/u\",\"token\":" + token + "}}");
      ws.expect("unlocked", WAIT, WsClient.has("unlocked"));
      assertThat(node.get("/v1/locks/sess/u").ok().path("holder").isNull()).isTrue();

      // The client goes silent: its 1 s lease is no longer renewed and expires with its lock.
      JsonNode s = lock(ws, "sess/s", "").path("locked");
      long since = System.nanoTime();
      JsonNode lost =
          ws.expect(
              "lock_lost of sess/s",
              WAIT,
              m -> m.path("lock_lost").path("name").asText().equals("sess/s"));
      System.out.printf(
          "a silent session's lock was reported lost %d ms after it was granted (lease TTL 1 s)%n",
          TestServer.millisSince(since));
      assertThat(lost.path("lock_lost").path("fencing_token").asLong())
          .isEqualTo(s.path("fencing_token").asLong());
      assertThat(ws.messages())
          .as("the released lock is never reported lost")
          .noneMatch(m -> m.path("lock_lost").path("name").asText().equals("sess/u"));
    }
  }

  @Test
  void badLockMessagesAreErrors() {
    try (WsClient ws = WsClient.connect(node)) {
      grant(ws, 30);
      ws.send("{\"lock\":{}}");
      assertThat(
              ws.expect("error", WAIT, WsClient.has("error")).path("error").path("code").asText())
          .isEqualTo("malformed_request");
      ws.send("{\"lock\":{\"name\":\"x\",\"timeout_ms\":99999999}}");
      assertThat(
              ws.expect("error", WAIT, WsClient.has("error")).path("error").path("code").asText())
          .isEqualTo("invalid_argument");
      ws.send("{\"lock\":{\"name\":\"x\",\"lease\":987654321}}");
      assertThat(
              ws.expect("error", WAIT, WsClient.has("error")).path("error").path("code").asText())
          .isEqualTo("lease_not_found");
      ws.send("{\"unlock\":{\"name\":\"x\"}}");
      assertThat(
              ws.expect("error", WAIT, WsClient.has("error")).path("error").path("code").asText())
          .isEqualTo("malformed_request");
    }
  }
}
