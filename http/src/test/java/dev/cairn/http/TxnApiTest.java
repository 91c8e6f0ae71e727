package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code POST /v1/txn}: every compare target and operator, both branches, all op kinds. */
@ExtendWith(SharedServer.class)
class TxnApiTest {
  private static final String NS = "txn-test";
  private static TestServer s;

  /** The compared key's create_revision, mod_revision, version and lease, set up once. */
  private static long create;

  private static long mod;
  private static long lease;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
    lease = s.post("/v1/ns/" + NS + "/leases", "{\"ttl\": 3600}").ok().path("id").asLong();
    create = s.putKv(NS, "cmp/k", "m").json().path("revision").asLong();
    s.putKv(NS, "cmp/filler", "x");
    mod = s.putKv(NS, "cmp/k?lease=" + lease, "m").json().path("revision").asLong();
    assertThat(mod).isGreaterThan(create + 1);
  }

  private static String txn(String key, String target, String op, Object value) {
    ObjectNode body = TestServer.JSON.createObjectNode();
    ObjectNode c = body.putArray("compare").addObject();
    c.put("key", key).put("target", target).put("op", op);
    c.set("value", TestServer.JSON.valueToTree(value));
    body.putArray("success").addObject().putObject("put").put("key", "cmp/out").put("value", "s");
    body.putArray("failure").addObject().putObject("put").put("key", "cmp/out").put("value", "f");
    return body.toString();
  }

  /** (target, op, operand, expected): each target against values below, at and above the key's. */
  static Stream<Arguments> compares() {
    List<Arguments> out = new ArrayList<>();
    // value "m" against "a" (below), "m" (equal), "z" (above); version 2 against 1, 2, 3; ...
    Object[][] targets = {
      {"value", "a", "m", "z"},
      {"version", 1L, 2L, 3L},
      {"create_revision", null, null, null},
      {"mod_revision", null, null, null},
      {"lease", null, null, null},
    };
    for (Object[] t : targets) {
      for (String op : List.of("=", "!=", "<", ">")) {
        for (int rel = -1; rel <= 1; rel++) {
          boolean expected =
              switch (op) {
                case "=" -> rel == 0;
                case "!=" -> rel != 0;
                case "<" -> rel > 0; // the key's value < operand when the operand is above
                default -> rel < 0;
              };
          out.add(Arguments.of(t[0], op, rel, t[rel + 2], expected));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} (operand {2} relative to actual) -> {4}")
  @MethodSource("compares")
  void compareTargetsAndOperators(
      String target, String op, int rel, Object fixed, boolean expected) {
    Object operand =
        fixed != null
            ? fixed
            : switch (target) {
              case "create_revision" -> create + rel;
              case "mod_revision" -> mod + rel;
              default -> lease + rel;
            };
    JsonNode r = s.post("/v1/ns/" + NS + "/txn", txn("cmp/k", target, op, operand)).ok();
    assertThat(r.path("succeeded").asBoolean())
        .as("%s %s %s", target, op, operand)
        .isEqualTo(expected);
    JsonNode put = r.path("responses").get(0).path("put");
    assertThat(put.path("revision").asLong()).isEqualTo(r.path("revision").asLong());
    assertThat(s.get("/v1/ns/" + NS + "/kv/cmp/out").ok().path("kv").path("value").asText())
        .isEqualTo(expected ? "s" : "f");
  }

  @Test
  void compareOnAMissingKeySeesZeroes() {
    JsonNode r = s.post("/v1/txn", txn("txn-missing", "version", "=", 0)).ok();
    assertThat(r.path("succeeded").asBoolean()).isTrue();
    JsonNode r2 = s.post("/v1/txn", txn("txn-missing", "create_revision", ">", 0)).ok();
    assertThat(r2.path("succeeded").asBoolean()).isFalse();
    // A value compare on a missing key never holds.
    JsonNode r3 = s.post("/v1/txn", txn("txn-missing", "value", "!=", "x")).ok();
    assertThat(r3.path("succeeded").asBoolean()).isFalse();
    s.delete("/v1/kv/cmp/out");
  }

  @Test
  void numericOperandsMayBeStringsAndValuesMayBeBase64() {
    JsonNode r = s.post("/v1/ns/" + NS + "/txn", txn("cmp/k", "version", "=", "2")).ok();
    assertThat(r.path("succeeded").asBoolean()).isTrue();
    String body =
        "{\"compare\":[{\"key\":\"cmp/k\",\"target\":\"value\",\"op\":\"=\",\"value\":\"bQ==\","
            + "\"encoding\":\"base64\"}],\"success\":[{\"range\":{\"key\":\"cmp/k\"}}]}";
    JsonNode b = s.post("/v1/ns/" + NS + "/txn", body).ok();
    assertThat(b.path("succeeded").asBoolean()).isTrue();
    assertThat(b.path("responses").get(0).path("range").path("kvs").get(0).path("value").asText())
        .isEqualTo("m");
  }

  @Test
  void allOpsOfABranchShareOneRevisionAndSeeEachOther() {
    s.putKv(null, "txo/old", "1");
    s.putKv(null, "txo/gone/a", "1");
    s.putKv(null, "txo/gone/b", "1");
    String body =
        "{\"compare\": [{\"key\": \"txo/old\", \"target\": \"value\", \"op\": \"=\", \"value\": \"1\"}],"
            + " \"success\": ["
            + "  {\"put\": {\"key\": \"txo/new\", \"value\": \"n\", \"prev_kv\": true}},"
            + "  {\"delete\": {\"key\": \"txo/gone/\", \"prefix\": true, \"prev_kv\": true}},"
            + "  {\"range\": {\"key\": \"txo/\", \"prefix\": true}}],"
            + " \"failure\": [{\"put\": {\"key\": \"txo/failed\", \"value\": \"f\"}}]}";
    JsonNode r = s.post("/v1/txn", body).ok();
    assertThat(r.path("succeeded").asBoolean()).isTrue();
    long rev = r.path("revision").asLong();
    JsonNode resp = r.path("responses");
    assertThat(resp.size()).isEqualTo(3);
    assertThat(resp.get(0).path("put").path("kv").path("mod_revision").asLong()).isEqualTo(rev);
    assertThat(resp.get(1).path("delete").path("deleted").asLong()).isEqualTo(2);
    assertThat(resp.get(1).path("delete").path("prev_kvs").size()).isEqualTo(2);
    List<String> seen = new ArrayList<>();
    resp.get(2).path("range").path("kvs").forEach(kv -> seen.add(kv.path("key").asText()));
    assertThat(seen).containsExactly("txo/new", "txo/old");
    assertThat(resp.get(2).path("range").path("count").asLong()).isEqualTo(2);
    assertThat(s.get("/v1/kv/txo/new").ok().path("kv").path("mod_revision").asLong())
        .isEqualTo(rev);
    s.get("/v1/kv/txo/gone/a").problem(404, "key_not_found");
    s.get("/v1/kv/txo/failed").problem(404, "key_not_found");

    // The failure branch, with a value in base64.
    String fail =
        "{\"compare\": [{\"key\": \"txo/old\", \"target\": \"version\", \"op\": \">\", \"value\": 5}],"
            + " \"success\": [{\"put\": {\"key\": \"txo/x\", \"value\": \"s\"}}],"
            + " \"failure\": [{\"put\": {\"key\": \"txo/failed\", \"value\": \"/wA=\","
            + " \"encoding\": \"base64\"}}]}";
    JsonNode f = s.post("/v1/txn", fail).ok();
    assertThat(f.path("succeeded").asBoolean()).isFalse();
    assertThat(f.path("revision").asLong()).isEqualTo(rev + 1);
    JsonNode failed = s.get("/v1/kv/txo/failed").ok().path("kv");
    assertThat(failed.path("encoding").asText()).isEqualTo("base64");
    assertThat(failed.path("value").asText()).isEqualTo("/wA=");
    s.get("/v1/kv/txo/x").problem(404, "key_not_found");
  }

  @Test
  void aReadOnlyTransactionSpendsNoRevision() {
    long before = s.snapshot(NS).path("status").path("revision").asLong();
    JsonNode r =
        s.post("/v1/ns/" + NS + "/txn", "{\"success\": [{\"range\": {\"key\": \"cmp/k\"}}]}").ok();
    assertThat(r.path("succeeded").asBoolean()).isTrue();
    assertThat(r.path("revision").asLong()).isEqualTo(before);
    JsonNode empty = s.post("/v1/ns/" + NS + "/txn", "{}").ok();
    assertThat(empty.path("succeeded").asBoolean()).isTrue();
    assertThat(empty.path("responses").size()).isZero();
    assertThat(s.snapshot(NS).path("status").path("revision").asLong()).isEqualTo(before);
  }
}
