package dev.cairn.http.lease;

import static dev.cairn.http.TestServer.await;
import static dev.cairn.http.TestServer.millisSince;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import dev.cairn.http.watch.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Leases over HTTP against a real node: expiry, keepalive, revocation, unknown leases, restart and
 * TTL bounds. Every timing assertion has both a lower bound (nothing happens early) and an upper
 * bound (TTL + 1 s).
 */
class LeaseLifecycleTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static List<String> putKeys(String prefix, int n, long lease) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String k = prefix + i;
      Resp r = node.putKey(k, "v" + i, lease);
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("kv").path("lease").asLong(-1))
          .as("lease of the written key in %s", r)
          .isEqualTo(lease);
      keys.add(k);
    }
    return keys;
  }

  @Test
  void expiryDeletesBoundKeysWithinTtlAndAWatcherSeesTheDeletesInOneRevision() {
    String prefix = "lease-exp/";
    try (WsClient w = WsClient.connect(node)) {
      w.send("{\"create\":{\"key\":\"" + prefix + "\",\"prefix\":true,\"watch_id\":1}}");
      w.expect("created", WsClient.created(1));
      long ttl = 2;
      long beforeGrant = System.nanoTime();
      long lease = node.grant(ttl);
      List<String> keys = putKeys(prefix, 3, lease);
      Resp info = node.leaseInfo(lease);
      assertThat(info.status()).as(info.toString()).isEqualTo(200);
      assertThat(info.json().path("granted_ttl").asLong()).isEqualTo(ttl);
      assertThat(new TreeSet<String>(texts(info.json().path("keys"))))
          .containsExactlyElementsOf(keys);
      // A key without a lease under the same prefix must survive the expiry.
      assertThat(node.putKey(prefix + "free", "x").status()).isEqualTo(200);

      await(
          Duration.ofSeconds(ttl + 1).plusMillis(500),
          "lease keys to vanish",
          () -> node.count(prefix) == 1);
      long vanishedAfter = millisSince(beforeGrant);
      assertThat(vanishedAfter)
          .as("keys vanished %d ms after the grant request; TTL is %d s", vanishedAfter, ttl)
          .isGreaterThanOrEqualTo(ttl * 1000)
          .isLessThanOrEqualTo(ttl * 1000 + 1000);
      assertThat(node.exists(prefix + "free")).isTrue();
      assertThat(node.leaseInfo(lease).status()).isEqualTo(404);
      assertThat(node.leaseInfo(lease).code()).isEqualTo("lease_not_found");

      JsonNode deletes =
          w.expect(
              "the expiry's DELETE events",
              m ->
                  WsClient.events(1).test(m)
                      && m.path("events").get(0).path("type").asText().equals("DELETE"));
      Set<String> deleted = new TreeSet<>();
      Set<Long> revisions = new TreeSet<>();
      for (JsonNode e : deletes.path("events")) {
        assertThat(e.path("type").asText()).isEqualTo("DELETE");
        deleted.add(e.path("kv").path("key").asText());
        revisions.add(e.path("kv").path("mod_revision").asLong());
      }
      assertThat(deleted).as("deleted keys in %s", deletes).containsExactlyElementsOf(keys);
      assertThat(revisions)
          .as("one revision for the whole expiry in %s", deletes)
          .containsExactly(deletes.path("revision").asLong());
    }
  }

  @Test
  void httpKeepaliveHoldsALeaseWellPastItsTtlAndItExpiresOnceKeepalivesStop() {
    String prefix = "lease-ka/";
    long ttl = 2;
    long lease = node.grant(ttl);
    List<String> keys = putKeys(prefix, 2, lease);
    long start = System.nanoTime();
    long lastKeepAlive = start;
    int rounds = 0;
    while (millisSince(start) < 6000) {
      Resp ka = node.keepAlive(lease);
      lastKeepAlive = System.nanoTime();
      assertThat(ka.status()).as(ka.toString()).isEqualTo(200);
      assertThat(ka.json().path("ttl").asLong()).isEqualTo(ttl);
      assertThat(node.count(prefix))
          .as("keys after %d ms of keepalives", millisSince(start))
          .isEqualTo(keys.size());
      rounds++;
      // Pace the keepalives (a third of the TTL, as a client library would); not a sync point.
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
    assertThat(rounds).isGreaterThan(5);
    Resp info = node.leaseInfo(lease);
    assertThat(info.json().path("ttl").asLong()).as(info.toString()).isBetween(1L, ttl);
    await(
        Duration.ofSeconds(ttl + 2),
        "keys to vanish after keepalives stop",
        () -> node.count(prefix) == 0);
    long after = millisSince(lastKeepAlive);
    assertThat(after)
        .as("vanished %d ms after the last keepalive", after)
        .isLessThanOrEqualTo(ttl * 1000 + 1000);
    assertThat(node.keepAlive(lease).code()).isEqualTo("lease_not_found");
  }

  @Test
  void revocationDeletesTheKeysAtOnce() {
    String prefix = "lease-rv/";
    long lease = node.grant(60);
    List<String> keys = putKeys(prefix, 3, lease);
    Resp r = node.revoke(lease);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("deleted").asInt()).isEqualTo(keys.size());
    // No waiting: the revocation's answer means the deletes are done.
    for (String k : keys) {
      assertThat(node.exists(k)).as(k).isFalse();
    }
    assertThat(node.leaseInfo(lease).code()).isEqualTo("lease_not_found");
    Resp again = node.revoke(lease);
    assertThat(again.status()).as(again.toString()).isEqualTo(404);
    assertThat(again.code()).isEqualTo("lease_not_found");
    assertThat(again.contentType()).startsWith("application/problem+json");
  }

  @Test
  void putWithAnUnknownOrExpiredLeaseIsRefusedAndWritesNothing() {
    long before = node.revision();
    Resp r = node.putKey("lease-unknown/a", "x", 987654321L);
    assertThat(r.status()).as(r.toString()).isEqualTo(404);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.code()).isEqualTo("lease_not_found");
    assertThat(node.exists("lease-unknown/a")).isFalse();
    assertThat(node.revision()).as("a refused put takes no revision").isEqualTo(before);

    long lease = node.grant(1);
    await(Duration.ofSeconds(3), "lease to expire", () -> node.leaseInfo(lease).status() == 404);
    Resp late = node.putKey("lease-unknown/b", "x", lease);
    assertThat(late.status()).as(late.toString()).isEqualTo(404);
    assertThat(late.code()).isEqualTo("lease_not_found");
    assertThat(node.exists("lease-unknown/b")).isFalse();
    // The keepalive of an expired lease is refused the same way.
    assertThat(node.keepAlive(lease).code()).isEqualTo("lease_not_found");
  }

  @Test
  void ttlBoundsAreEnforced() {
    for (String body : List.of("{\"ttl\":0}", "{\"ttl\":604801}")) {
      Resp r = node.post("/v1/leases", body);
      assertThat(r.status()).as(r.toString()).isEqualTo(400);
      assertThat(r.code()).as(r.toString()).isEqualTo("ttl_out_of_range");
    }
    for (String body : List.of("{\"ttl\":-5}", "{\"ttl\":\"ten\"}", "{}")) {
      Resp r = node.post("/v1/leases", body);
      assertThat(r.status()).as(r.toString()).isEqualTo(400);
    }
    for (long ttl : new long[] {1, 604800}) {
      Resp r = node.post("/v1/leases", "{\"ttl\":" + ttl + "}");
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("ttl").asLong()).isEqualTo(ttl);
      assertThat(node.revoke(r.json().path("id").asLong()).status()).isEqualTo(200);
    }
    // The same bounds on a session socket.
    try (WsClient w = WsClient.connect(node)) {
      w.send("{\"lease_grant\":{\"ttl\":0}}");
      w.expect("ttl_out_of_range", WsClient.error("ttl_out_of_range"));
      w.send("{\"lease_grant\":{\"ttl\":604801}}");
      w.expect("ttl_out_of_range", WsClient.error("ttl_out_of_range"));
    }
  }

  @Test
  void aRestartGivesEveryLeaseItsFullTtlAgainAndThenItExpires() {
    String prefix = "lease-rs/";
    // Long enough that the puts and the restart fit in it on a loaded machine: the old node would
    // rightly expire the lease if its deadline passed before it stopped.
    long ttl = 10;
    long lease = node.grant(ttl);
    List<String> keys = putKeys(prefix, 2, lease);
    // Let the lease run down to half its TTL, so the keys outliving ttl from the restart's start
    // (below) proves the extension.
    await(
        Duration.ofSeconds(ttl),
        "lease to run down",
        () -> node.leaseInfo(lease).json().path("ttl").asLong() <= ttl / 2);
    long beforeRestart = System.nanoTime();
    node.restart();
    long restarted = System.nanoTime();
    long restartMs = millisSince(beforeRestart);

    assertThat(node.count(prefix))
        .as("keys right after a %d ms restart", restartMs)
        .isEqualTo(keys.size());
    Resp info = node.leaseInfo(lease);
    assertThat(info.status()).as(info.toString()).isEqualTo(200);
    assertThat(info.json().path("granted_ttl").asLong()).isEqualTo(ttl);
    assertThat(info.json().path("ttl").asLong())
        .as("remaining TTL after restart: %s", info)
        .isBetween(ttl - 1, ttl);
    assertThat(new TreeSet<String>(texts(info.json().path("keys"))))
        .containsExactlyElementsOf(keys);

    await(
        Duration.ofSeconds(ttl + 2),
        "keys to vanish after the restart",
        () -> node.count(prefix) == 0);
    long afterRestart = millisSince(restarted);
    long sinceRestartBegan = millisSince(beforeRestart);
    assertThat(afterRestart)
        .as("vanished %d ms after the restart", afterRestart)
        .isLessThanOrEqualTo(ttl * 1000 + 1000);
    assertThat(sinceRestartBegan)
        .as("vanished %d ms after the restart began", sinceRestartBegan)
        .isGreaterThanOrEqualTo(ttl * 1000);
    assertThat(node.leaseInfo(lease).code()).isEqualTo("lease_not_found");
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
