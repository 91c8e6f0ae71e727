package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/leases}: grant, list, time-to-live, keepalive, revoke, binding and expiry. */
@ExtendWith(SharedServer.class)
class LeaseApiTest {
  private static final String NS = "lease-test";
  private static final String P = "/v1/ns/" + NS;
  private static TestServer s;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
  }

  private static List<Long> leaseIds() {
    List<Long> out = new ArrayList<>();
    s.get(P + "/leases").ok().path("leases").forEach(l -> out.add(l.path("id").asLong()));
    return out;
  }

  @Test
  void grantListTimeToLiveKeepAliveAndRevoke() {
    JsonNode g = s.post(P + "/leases", "{\"ttl\": 30}").ok();
    long id = g.path("id").asLong();
    assertThat(id).isPositive();
    assertThat(g.path("ttl").asLong()).isEqualTo(30);
    assertThat(g.path("revision").asLong()).isPositive();
    assertThat(leaseIds()).contains(id);

    JsonNode ttl = s.get(P + "/leases/" + id).ok();
    assertThat(ttl.path("id").asLong()).isEqualTo(id);
    assertThat(ttl.path("granted_ttl").asLong()).isEqualTo(30);
    assertThat(ttl.path("ttl").asLong()).isBetween(1L, 30L);
    assertThat(ttl.path("keys").size()).isZero();

    JsonNode bound = s.put(P + "/kv/members/a?lease=" + id, "up").ok();
    assertThat(bound.path("kv").path("lease").asLong()).isEqualTo(id);
    s.put(P + "/kv/members/b?lease=" + id, "up").ok();
    assertThat(s.get(P + "/kv/members/a").ok().path("kv").path("lease").asLong()).isEqualTo(id);
    List<String> keys = new ArrayList<>();
    s.get(P + "/leases/" + id).ok().path("keys").forEach(k -> keys.add(k.asText()));
    assertThat(keys).containsExactlyInAnyOrder("members/a", "members/b");

    JsonNode ka = s.post(P + "/leases/" + id + "/keepalive", null).ok();
    assertThat(ka.path("id").asLong()).isEqualTo(id);
    assertThat(ka.path("ttl").asLong()).isEqualTo(30);
    assertThat(s.put(P + "/leases/" + id + "/keepalive", null).ok().path("id").asLong())
        .isEqualTo(id);

    JsonNode revoked = s.delete(P + "/leases/" + id).ok();
    assertThat(revoked.path("id").asLong()).isEqualTo(id);
    assertThat(revoked.path("deleted").asLong()).isEqualTo(2);
    s.get(P + "/kv/members/a").problem(404, "key_not_found");
    s.get(P + "/kv/members/b").problem(404, "key_not_found");
    assertThat(leaseIds()).doesNotContain(id);

    JsonNode before = s.snapshot(NS);
    s.get(P + "/leases/" + id).problem(404, "lease_not_found");
    s.post(P + "/leases/" + id + "/keepalive", null).problem(404, "lease_not_found");
    s.delete(P + "/leases/" + id).problem(404, "lease_not_found");
    s.put(P + "/kv/members/c?lease=" + id, "up").problem(404, "lease_not_found");
    assertThat(s.snapshot(NS)).isEqualTo(before);
  }

  @Test
  void aClientChosenIdIsKeptAndCannotBeGrantedTwice() {
    JsonNode g = s.post(P + "/leases", "{\"ttl\": 60, \"id\": 424242}").ok();
    assertThat(g.path("id").asLong()).isEqualTo(424242);
    JsonNode before = s.snapshot(NS);
    s.post(P + "/leases", "{\"ttl\": 60, \"id\": 424242}").problem(409, "lease_exists");
    assertThat(s.snapshot(NS)).isEqualTo(before);
    s.delete(P + "/leases/424242").ok();
  }

  @Test
  void anExpiredLeaseTakesItsKeysWithIt() {
    long id = s.post(P + "/leases", "{\"ttl\": 1}").ok().path("id").asLong();
    s.put(P + "/kv/ephemeral/x?lease=" + id, "here").ok();
    s.put(P + "/kv/ephemeral/keep", "stays").ok();
    TestServer.await(
        Duration.ofSeconds(15),
        "lease " + id + " to expire",
        () -> s.get(P + "/kv/ephemeral/x").status() == 404);
    s.get(P + "/kv/ephemeral/x").problem(404, "key_not_found");
    s.get(P + "/leases/" + id).problem(404, "lease_not_found");
    assertThat(s.get(P + "/kv/ephemeral/keep").ok().path("kv").path("value").asText())
        .isEqualTo("stays");
  }

  @Test
  void leasesWorkInTheDefaultNamespaceToo() {
    long id = s.post("/v1/leases", "{\"ttl\": 60}").ok().path("id").asLong();
    s.put("/v1/kv/lease-test/k?lease=" + id, "v").ok();
    assertThat(s.get("/v1/leases/" + id).ok().path("keys").get(0).asText())
        .isEqualTo("lease-test/k");
    assertThat(s.delete("/v1/leases/" + id).ok().path("deleted").asLong()).isEqualTo(1);
    s.get("/v1/kv/lease-test/k").problem(404, "key_not_found");
  }
}
