package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/namespaces} and the namespaced {@code /v1/ns/{ns}/...} routes. */
@ExtendWith(SharedServer.class)
class NamespaceApiTest {
  private static TestServer s;

  @BeforeAll
  static void server(TestServer server) {
    s = server;
  }

  private static List<String> names() {
    List<String> out = new ArrayList<>();
    s.get("/v1/namespaces").ok().path("namespaces").forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void createIsIdempotentAndListedAndDescribed() {
    JsonNode created = s.put("/v1/namespaces/team-a", null).ok(201);
    assertThat(created.path("name").asText()).isEqualTo("team-a");
    long rev = created.path("revision").asLong();
    assertThat(rev).isPositive();
    JsonNode again = s.put("/v1/namespaces/team-a", null).ok(200);
    assertThat(again.path("revision").asLong()).isEqualTo(rev);
    assertThat(names()).contains("default", "team-a");

    s.put("/v1/ns/team-a/kv/x", "1").ok();
    JsonNode d = s.get("/v1/namespaces/team-a").ok();
    assertThat(d.path("name").asText()).isEqualTo("team-a");
    assertThat(d.path("revision").asLong()).isEqualTo(rev + 1);
    assertThat(d.path("compact_revision").asLong()).isZero();
    assertThat(d.path("keys").asLong()).isEqualTo(1);
    assertThat(d.path("leases").asLong()).isZero();
    assertThat(s.get("/v1/namespaces/default").ok().path("name").asText()).isEqualTo("default");
  }

  @Test
  void namespacedRoutesServeKvTxnCompactAndLeases() {
    s.createNamespace("team-b");
    String p = "/v1/ns/team-b";
    long r1 = s.put(p + "/kv/a", "1").ok().path("revision").asLong();
    assertThat(s.get(p + "/kv/a").ok().path("kv").path("value").asText()).isEqualTo("1");
    JsonNode t =
        s.post(p + "/txn", "{\"success\": [{\"put\": {\"key\": \"b\", \"value\": \"2\"}}]}").ok();
    assertThat(t.path("succeeded").asBoolean()).isTrue();
    assertThat(s.get(p + "/kv/?prefix=true").ok().path("count").asLong()).isEqualTo(2);
    long id = s.post(p + "/leases", "{\"ttl\": 60}").ok().path("id").asLong();
    assertThat(s.get(p + "/leases/" + id).ok().path("granted_ttl").asLong()).isEqualTo(60);
    // The lease lives in team-b only.
    s.get("/v1/leases/" + id + "0000").problem(404, "lease_not_found");
    JsonNode c = s.post(p + "/compact", "{\"revision\": " + r1 + "}").ok();
    assertThat(c.path("compact_revision").asLong()).isEqualTo(r1);
    assertThat(s.delete(p + "/kv/a").ok().path("deleted").asLong()).isEqualTo(1);
  }

  @Test
  void aNonEmptyNamespaceIsDeletedOnlyWithForce() {
    s.createNamespace("team-c");
    s.put("/v1/ns/team-c/kv/k", "v").ok();
    JsonNode before = s.snapshot("team-c");
    s.delete("/v1/namespaces/team-c").problem(409, "namespace_not_empty");
    s.delete("/v1/namespaces/team-c?force=false").problem(409, "namespace_not_empty");
    assertThat(s.snapshot("team-c")).isEqualTo(before);
    assertThat(names()).contains("team-c");

    JsonNode gone = s.delete("/v1/namespaces/team-c?force=true").ok();
    assertThat(gone.path("name").asText()).isEqualTo("team-c");
    s.get("/v1/namespaces/team-c").problem(404, "namespace_not_found");
    s.get("/v1/ns/team-c/kv/k").problem(404, "namespace_not_found");
    assertThat(names()).doesNotContain("team-c");

    // Re-created, it starts empty.
    s.put("/v1/namespaces/team-c", null).ok(201);
    assertThat(s.get("/v1/ns/team-c/kv/?prefix=true&count_only=true").ok().path("count").asLong())
        .isZero();
    s.get("/v1/ns/team-c/kv/k").problem(404, "key_not_found");
  }

  @Test
  void anEmptyNamespaceIsDeletedWithoutForce() {
    s.createNamespace("team-d");
    s.put("/v1/ns/team-d/kv/k", "v").ok();
    s.delete("/v1/ns/team-d/kv/k").ok();
    s.delete("/v1/namespaces/team-d").ok();
    s.get("/v1/namespaces/team-d").problem(404, "namespace_not_found");
    s.delete("/v1/namespaces/team-d").problem(404, "namespace_not_found");
  }

  @Test
  void theDefaultNamespaceCannotBeDeleted() {
    s.putKv(null, "nsapi/keep", "v");
    JsonNode before = s.snapshot(null);
    s.delete("/v1/namespaces/default").problem(409, "namespace_protected");
    s.delete("/v1/namespaces/default?force=true").problem(409, "namespace_protected");
    assertThat(s.snapshot(null)).isEqualTo(before);
    assertThat(names()).contains("default");
  }

  @Test
  void anUnknownNamespaceIs404AndStaysUnknown() {
    for (String[] req :
        new String[][] {
          {"GET", "/v1/ns/nowhere/kv/a", null},
          {"PUT", "/v1/ns/nowhere/kv/a", "v"},
          {"DELETE", "/v1/ns/nowhere/kv/a", null},
          {"POST", "/v1/ns/nowhere/kv/q/?sequential=true", "v"},
          {
            "POST",
            "/v1/ns/nowhere/txn",
            "{\"success\": [{\"put\": {\"key\": \"a\", \"value\": \"v\"}}]}"
          },
          {"POST", "/v1/ns/nowhere/compact", "{\"revision\": 1}"},
          {"POST", "/v1/ns/nowhere/leases", "{\"ttl\": 10}"},
          {"GET", "/v1/ns/nowhere/leases/1", null},
          {"DELETE", "/v1/ns/nowhere/leases/1", null},
          {"GET", "/v1/namespaces/nowhere", null},
          // Not a valid name at all: still "no such namespace".
          {"GET", "/v1/ns/No_Such/kv/a", null},
          {"GET", "/v1/ns/%2E%2E/kv/a", null},
        }) {
      s.send(req[0], req[1], req[2]).problem(404, "namespace_not_found");
    }
    // A keepalive is answered by the leader without checking that its namespace exists, so it
    // says lease_not_found rather than namespace_not_found; both are 404 and change nothing.
    JsonNode ka = s.post("/v1/ns/nowhere/leases/1/keepalive", null).assertProblemShape();
    assertThat(ka.path("status").asInt()).isEqualTo(404);
    assertThat(ka.path("code").asText()).isIn("namespace_not_found", "lease_not_found");
    assertThat(names()).doesNotContain("nowhere");
    s.get("/v1/namespaces/nowhere").problem(404, "namespace_not_found");
  }

  @Test
  void dotSegmentsCannotLeaveANamespace() {
    s.createNamespace("jail");
    s.putKv(null, "escape/target", "default-value");
    JsonNode before = s.snapshot(null);
    for (String path :
        List.of(
            "/v1/ns/jail/%2E%2E/%2E%2E/kv/escape/target",
            "/v1/ns/jail/%2e%2e/%2e%2e/kv/escape/target",
            "/v1/ns/jail/kv/%2E%2E/%2E%2E/%2E%2E/kv/escape/target")) {
      // Either refused or written under the literal key inside jail: never outside it.
      TestServer.Resp put = s.put(path, "overwritten");
      assertThat(put.status()).as(put.toString()).isLessThan(500);
      if (put.status() >= 400) {
        put.assertProblemShape();
      } else {
        assertThat(put.json().path("kv").path("key").asText()).contains("..");
      }
      assertThat(s.get(path).text()).doesNotContain("default-value");
    }
    assertThat(s.snapshot(null)).isEqualTo(before);
    JsonNode inJail = s.get("/v1/ns/jail/kv/%2E%2E/%2E%2E/%2E%2E/kv/escape/target").ok();
    assertThat(inJail.path("kv").path("key").asText()).isEqualTo("../../../kv/escape/target");
    s.get("/v1/ns/%2E%2E/kv/escape/target").problem(404, "namespace_not_found");
  }

  @Test
  void badNamespaceNamesAreRefused() {
    List<String> before = names();
    for (String bad : List.of("Upper", "-dash-first", "a%20b", "x".repeat(64), "%C3%A9")) {
      s.put("/v1/namespaces/" + bad, null).problem(400, "malformed_request");
    }
    s.get("/v1/namespaces/a/b").problem(404, "not_found");
    s.post("/v1/namespaces/ok-name", null).problem(405, "method_not_allowed");
    s.post("/v1/namespaces", null).problem(405, "method_not_allowed");
    assertThat(names()).isEqualTo(before);
  }
}
