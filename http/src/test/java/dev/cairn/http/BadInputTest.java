package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.http.TestServer.Resp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets its documented status, problem+json with the right {@code code}, and
 * changes nothing: a full read of the namespaces involved is the same before and after.
 */
@ExtendWith(SharedServer.class)
class BadInputTest {
  private static final String NS = "bad-input";
  private static final String P = "/v1/ns/" + NS;
  private static TestServer s;
  private static long compactedRevision;
  private static long lease;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
    compactedRevision = s.putKv(NS, "k", "v1").json().path("revision").asLong();
    long r2 = s.putKv(NS, "k", "v2").json().path("revision").asLong();
    s.putKv(NS, "other/a", "a");
    s.post(P + "/compact", "{\"revision\": " + r2 + "}").ok();
    lease = s.post(P + "/leases", "{\"ttl\": 3600}").ok().path("id").asLong();
    s.putKv(null, "bad-input/k", "default");
  }

  /** One bad request and what it must get. */
  record Case(
      String name,
      String method,
      String path,
      byte[] body,
      List<String> headers,
      int status,
      String code) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case c(
      String name,
      String method,
      String path,
      String body,
      int status,
      String code,
      String... headers) {
    return new Case(
        name,
        method,
        path,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        Arrays.asList(headers),
        status,
        code);
  }

  private static Case c(
      String name, String method, String path, byte[] body, int status, String code) {
    return new Case(name, method, path, body, List.of(), status, code);
  }

  private static String txnPut(String key, String value) {
    ObjectNode b = TestServer.JSON.createObjectNode();
    b.putArray("success").addObject().putObject("put").put("key", key).put("value", value);
    return b.toString();
  }

  private static String manyOps(int n) {
    StringBuilder sb = new StringBuilder("{\"success\": [");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",")
          .append("{\"put\": {\"key\": \"many/")
          .append(i)
          .append("\", \"value\": \"x\"}}");
    }
    return sb.append("]}").toString();
  }

  private static String manyCompares(int n) {
    StringBuilder sb = new StringBuilder("{\"compare\": [");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",")
          .append("{\"key\": \"k\", \"target\": \"version\", \"op\": \">\", \"value\": 0}");
    }
    return sb.append("], \"success\": [{\"put\": {\"key\": \"many\", \"value\": \"x\"}}]}")
        .toString();
  }

  private static String compare(String target, String op, String valueJson) {
    return "{\"compare\": [{\"key\": \"k\", \"target\": \""
        + target
        + "\", \"op\": \""
        + op
        + "\", \"value\": "
        + valueJson
        + "}], \"success\": [{\"put\": {\"key\": \"k\", \"value\": \"x\"}}]}";
  }

  static Stream<Case> cases() {
    String key4097 = "k".repeat(4097);
    String wideKey = "%C3%A9".repeat(2049); // 4098 UTF-8 bytes
    String value1MiBPlus = "v".repeat(1024 * 1024 + 1);
    byte[] overBodyLimit = new byte[2 * 1024 * 1024 + 1];
    List<Case> l = new ArrayList<>();
    // Keys.
    l.add(c("empty key PUT", "PUT", P + "/kv/", "v", 400, "empty_key"));
    l.add(c("empty key GET", "GET", P + "/kv/", null, 400, "empty_key"));
    l.add(c("empty key DELETE", "DELETE", P + "/kv/", null, 400, "empty_key"));
    l.add(c("empty key in txn", "POST", P + "/txn", txnPut("", "v"), 400, "empty_key"));
    l.add(
        c(
            "empty key in compare",
            "POST",
            P + "/txn",
            "{\"compare\": [{\"key\": \"\", \"target\": \"version\", \"op\": \"=\", \"value\": 0}]}",
            400,
            "empty_key"));
    l.add(c("4097-byte key PUT", "PUT", P + "/kv/" + key4097, "v", 413, "key_too_large"));
    l.add(c("4098-byte UTF-8 key PUT", "PUT", P + "/kv/" + wideKey, "v", 413, "key_too_large"));
    l.add(c("4097-byte key GET", "GET", P + "/kv/" + key4097, null, 413, "key_too_large"));
    l.add(
        c("4097-byte key in txn", "POST", P + "/txn", txnPut(key4097, "v"), 413, "key_too_large"));
    l.add(
        c(
            "4097-byte sequential key",
            "POST",
            P + "/kv/" + "k".repeat(4080) + "?sequential=true",
            "v",
            413,
            "key_too_large"));
    // Values and bodies.
    l.add(c("1 MiB + 1 value", "PUT", P + "/kv/k", value1MiBPlus, 413, "value_too_large"));
    l.add(
        c(
            "1 MiB + 1 value in txn",
            "POST",
            P + "/txn",
            txnPut("k", value1MiBPlus),
            413,
            "value_too_large"));
    l.add(
        c(
            "body over the entity limit",
            "PUT",
            P + "/kv/k",
            overBodyLimit,
            413,
            "payload_too_large"));
    l.add(
        c(
            "txn body over the entity limit",
            "POST",
            P + "/txn",
            overBodyLimit,
            413,
            "payload_too_large"));
    l.add(c("GET with a body", "GET", P + "/kv/k", "a body", 400, "malformed_request"));
    l.add(c("GET lease list with a body", "GET", P + "/leases", "{}", 400, "malformed_request"));
    // Transactions.
    for (String bad :
        List.of(
            "",
            "{",
            "not json",
            "[]",
            "null",
            "{\"compare\": 5}",
            "{} {}",
            "{\"success\": [{\"put\": {\"key\": \"k\"}}]}",
            "{\"success\": [{}]}",
            "{\"success\": [null]}",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\"}, \"delete\": {\"key\": \"k\"}}]}",
            "{\"success\": [{\"delete\": {}}]}",
            "{\"success\": [{\"range\": {\"key\": \"k\", \"prefix\": true, \"range_end\": \"z\"}}]}",
            "{\"compare\": [null]}",
            "{\"compare\": [{\"key\": \"k\", \"target\": \"version\", \"op\": \"=\"}]}",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"!!\", \"encoding\": \"base64\"}}]}",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\", \"encoding\": \"latin1\"}}]}",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\", \"lease\": \"x\"}}]}",
            "{\"success\": [{\"put\": {\"key\": [\"k\"], \"value\": \"v\"}}]}",
            "{\"success\": [{\"range\": {\"key\": \"k\", \"limit\": 1.5}}]}",
            "[".repeat(5000) + "]".repeat(5000))) {
      l.add(
          c("malformed txn " + abbreviate(bad), "POST", P + "/txn", bad, 400, "malformed_request"));
    }
    for (String unknown :
        List.of(
            "{\"bogus\": 1}",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\", \"extra\": 1}}]}",
            "{\"success\": [{\"watch\": {\"key\": \"k\"}}]}",
            "{\"compare\": [{\"key\": \"k\", \"target\": \"version\", \"op\": \"=\", \"value\": 1, \"x\": 2}]}")) {
      l.add(
          c(
              "unknown field " + abbreviate(unknown),
              "POST",
              P + "/txn",
              unknown,
              400,
              "malformed_request"));
    }
    l.add(
        c(
            "unknown compare target",
            "POST",
            P + "/txn",
            compare("size", "=", "1"),
            400,
            "malformed_request"));
    for (String op : List.of("<=", ">=", "===", " ", "eq")) {
      l.add(
          c(
              "unknown compare op '" + op + "'",
              "POST",
              P + "/txn",
              compare("version", op, "1"),
              400,
              "malformed_request"));
    }
    l.add(
        c(
            "value compare against a number",
            "POST",
            P + "/txn",
            compare("value", "=", "1"),
            400,
            "malformed_request"));
    l.add(
        c(
            "version compare against text",
            "POST",
            P + "/txn",
            compare("version", "=", "\"abc\""),
            400,
            "malformed_request"));
    l.add(
        c(
            "version compare against a fraction",
            "POST",
            P + "/txn",
            compare("version", "=", "1.5"),
            400,
            "malformed_request"));
    l.add(c("129 ops", "POST", P + "/txn", manyOps(129), 413, "too_many_txn_ops"));
    l.add(
        c(
            "129 compares and a put",
            "POST",
            P + "/txn",
            manyCompares(128),
            413,
            "too_many_txn_ops"));
    l.add(
        c(
            "a key put twice in a txn",
            "POST",
            P + "/txn",
            "{\"success\": [{\"put\": {\"key\": \"d\", \"value\": \"1\"}},"
                + " {\"put\": {\"key\": \"d\", \"value\": \"2\"}}]}",
            400,
            "duplicate_key_in_txn"));
    // Conditional headers.
    for (String im :
        List.of("5", "\"abc\"", "\"0\"", "\"-1\"", "W/\"5\"", "\"", "\"\"", "\"1\", \"2\"")) {
      l.add(
          c(
              "malformed If-Match " + im,
              "PUT",
              P + "/kv/k",
              "x",
              400,
              "malformed_request",
              "If-Match",
              im));
    }
    l.add(
        c(
            "If-None-Match other than *",
            "PUT",
            P + "/kv/k",
            "x",
            400,
            "malformed_request",
            "If-None-Match",
            "\"5\""));
    l.add(
        c(
            "If-Match and If-None-Match",
            "PUT",
            P + "/kv/k",
            "x",
            400,
            "malformed_request",
            "If-Match",
            "*",
            "If-None-Match",
            "*"));
    l.add(
        c(
            "If-Match on a range delete",
            "DELETE",
            P + "/kv/other/?prefix=true",
            null,
            400,
            "malformed_request",
            "If-Match",
            "*"));
    l.add(
        c(
            "stale If-Match",
            "PUT",
            P + "/kv/k",
            "x",
            412,
            "precondition_failed",
            "If-Match",
            "\"" + 1 + "\""));
    l.add(
        c(
            "If-Match on a missing key",
            "DELETE",
            P + "/kv/missing",
            null,
            412,
            "precondition_failed",
            "If-Match",
            "*"));
    l.add(
        c(
            "If-None-Match on an existing key",
            "PUT",
            P + "/kv/k",
            "x",
            412,
            "precondition_failed",
            "If-None-Match",
            "*"));
    // Namespaces.
    l.add(
        c(
            "unknown namespace GET",
            "GET",
            "/v1/ns/no-such-ns/kv/k",
            null,
            404,
            "namespace_not_found"));
    l.add(
        c(
            "unknown namespace PUT",
            "PUT",
            "/v1/ns/no-such-ns/kv/k",
            "v",
            404,
            "namespace_not_found"));
    l.add(
        c(
            "unknown namespace describe",
            "GET",
            "/v1/namespaces/no-such-ns",
            null,
            404,
            "namespace_not_found"));
    l.add(
        c(
            "delete the default namespace",
            "DELETE",
            "/v1/namespaces/default",
            null,
            409,
            "namespace_protected"));
    l.add(
        c(
            "delete a non-empty namespace",
            "DELETE",
            "/v1/namespaces/" + NS,
            null,
            409,
            "namespace_not_empty"));
    // Revisions.
    l.add(c("compacted revision", "GET", P + "/kv/k?revision=" + 1, null, 410, "compacted"));
    l.add(
        c(
            "compacted revision in a range",
            "GET",
            P + "/kv/?prefix=true&revision=1",
            null,
            410,
            "compacted"));
    l.add(
        c(
            "compacted revision in a txn range",
            "POST",
            P + "/txn",
            "{\"success\": [{\"range\": {\"key\": \"k\", \"revision\": 1}}]}",
            410,
            "compacted"));
    l.add(
        c(
            "compact at a compacted revision",
            "POST",
            P + "/compact",
            "{\"revision\": 1}",
            410,
            "compacted"));
    l.add(c("future revision", "GET", P + "/kv/k?revision=999999", null, 400, "future_revision"));
    l.add(
        c(
            "future revision in a txn range",
            "POST",
            P + "/txn",
            "{\"success\": [{\"range\": {\"key\": \"k\", \"revision\": 999999}}]}",
            400,
            "future_revision"));
    l.add(
        c(
            "compact in the future",
            "POST",
            P + "/compact",
            "{\"revision\": 999999}",
            400,
            "future_revision"));
    l.add(c("compact without a revision", "POST", P + "/compact", "{}", 400, "malformed_request"));
    l.add(
        c(
            "compact with a text revision",
            "POST",
            P + "/compact",
            "{\"revision\": \"x\"}",
            400,
            "malformed_request"));
    l.add(c("negative revision", "GET", P + "/kv/k?revision=-1", null, 400, "invalid_argument"));
    // Keys and query parameters.
    l.add(c("missing key", "GET", P + "/kv/missing", null, 404, "key_not_found"));
    l.add(
        c(
            "missing key in the default namespace",
            "GET",
            "/v1/kv/bad-input/missing",
            null,
            404,
            "key_not_found"));
    l.add(
        c(
            "limit not a number",
            "GET",
            P + "/kv/?prefix=true&limit=ten",
            null,
            400,
            "malformed_request"));
    l.add(
        c("negative limit", "GET", P + "/kv/?prefix=true&limit=-1", null, 400, "invalid_argument"));
    l.add(
        c(
            "revision not a number",
            "GET",
            P + "/kv/k?revision=1.5",
            null,
            400,
            "malformed_request"));
    l.add(
        c("prefix not a boolean", "GET", P + "/kv/k?prefix=maybe", null, 400, "malformed_request"));
    l.add(
        c(
            "prefix and range_end",
            "GET",
            P + "/kv/k?prefix=true&range_end=z",
            null,
            400,
            "malformed_request"));
    l.add(
        c(
            "unknown consistency",
            "GET",
            P + "/kv/k?consistency=strong",
            null,
            400,
            "malformed_request"));
    l.add(
        c(
            "empty range_end on a delete",
            "DELETE",
            P + "/kv/a?range_end=",
            null,
            400,
            "malformed_request"));
    l.add(
        c(
            "empty range_end on a read",
            "GET",
            P + "/kv/a?range_end=",
            null,
            400,
            "malformed_request"));
    l.add(
        c(
            "empty range_end in a txn delete",
            "POST",
            P + "/txn",
            "{\"success\": [{\"delete\": {\"key\": \"a\", \"range_end\": \"\"}}]}",
            400,
            "malformed_request"));
    l.add(c("invalid UTF-8 in the key", "GET", P + "/kv/%C3%28", null, 400, "malformed_request"));
    l.add(c("invalid UTF-8 in the key PUT", "PUT", P + "/kv/a%FF", "v", 400, "malformed_request"));
    l.add(
        c(
            "truncated percent-escape in the namespace",
            "GET",
            "/v1/ns/a%C3/kv/k",
            null,
            400,
            "malformed_request"));
    // Routes and methods.
    for (String path :
        List.of(
            "/",
            "/nope",
            "/v1",
            "/v1/",
            "/v1/nope",
            "/v1/txn/extra",
            "/v1/compact/x",
            "/v1/ns/" + NS,
            "/v1/ns/" + NS + "/",
            "/v1/ns/" + NS + "/nope",
            "/v1/leases/1/nope",
            "/v1/namespaces/a/b",
            "/health/x",
            "/v1/openapi.json")) {
      l.add(c("unknown route " + path, "GET", path, null, 404, "not_found"));
    }
    l.add(c("PATCH a key", "PATCH", P + "/kv/k", "x", 405, "method_not_allowed"));
    l.add(c("OPTIONS a key", "OPTIONS", P + "/kv/k", null, 405, "method_not_allowed"));
    l.add(c("POST a key without sequential", "POST", P + "/kv/k", "x", 405, "method_not_allowed"));
    l.add(c("GET txn", "GET", P + "/txn", null, 405, "method_not_allowed"));
    l.add(c("PUT compact", "PUT", P + "/compact", "{\"revision\": 1}", 405, "method_not_allowed"));
    l.add(c("DELETE leases", "DELETE", P + "/leases", null, 405, "method_not_allowed"));
    l.add(c("PUT a lease", "PUT", P + "/leases/" + 1, "{}", 405, "method_not_allowed"));
    l.add(c("GET keepalive", "GET", P + "/leases/1/keepalive", null, 405, "method_not_allowed"));
    l.add(c("POST namespaces", "POST", "/v1/namespaces", "{}", 405, "method_not_allowed"));
    l.add(c("POST health", "POST", "/health", "", 405, "method_not_allowed"));
    // Leases.
    for (String id : List.of("abc", "0", "-5", "1.0", "99999999999999999999", "%20")) {
      l.add(c("bad lease id " + id, "GET", P + "/leases/" + id, null, 400, "malformed_request"));
      l.add(
          c(
              "bad lease id " + id + " keepalive",
              "POST",
              P + "/leases/" + id + "/keepalive",
              null,
              400,
              "malformed_request"));
      l.add(
          c(
              "bad lease id " + id + " revoke",
              "DELETE",
              P + "/leases/" + id,
              null,
              400,
              "malformed_request"));
    }
    l.add(c("bad lease param", "PUT", P + "/kv/k?lease=abc", "x", 400, "malformed_request"));
    l.add(c("negative lease param", "PUT", P + "/kv/k?lease=-1", "x", 400, "invalid_argument"));
    l.add(
        c("unknown lease param", "PUT", P + "/kv/k?lease=987654321", "x", 404, "lease_not_found"));
    l.add(
        c(
            "unknown lease in txn",
            "POST",
            P + "/txn",
            "{\"success\": [{\"put\": {\"key\": \"k\", \"value\": \"v\", \"lease\": 987654321}}]}",
            404,
            "lease_not_found"));
    l.add(c("unknown lease", "GET", P + "/leases/987654321", null, 404, "lease_not_found"));
    for (String ttl : List.of("0", "-1", "604801", "9223372036854775807")) {
      l.add(
          c(
              "ttl " + ttl,
              "POST",
              P + "/leases",
              "{\"ttl\": " + ttl + "}",
              400,
              "ttl_out_of_range"));
    }
    for (String grant :
        List.of(
            "",
            "{}",
            "{\"ttl\": \"ten\"}",
            "{\"ttl\": \"20\"}",
            "{\"ttl\": true}",
            "{\"ttl\": 1.5}",
            "{\"ttl\": 10, \"x\": 1}",
            "{\"ttl\": null}",
            "{\"ttl\": 99999999999999999999}")) {
      l.add(
          c(
              "malformed grant " + abbreviate(grant),
              "POST",
              P + "/leases",
              grant,
              400,
              "malformed_request"));
    }
    l.add(
        c(
            "negative lease id grant",
            "POST",
            P + "/leases",
            "{\"ttl\": 10, \"id\": -3}",
            400,
            "invalid_argument"));
    l.add(
        c(
            "lease id granted twice",
            "POST",
            P + "/leases",
            "{\"ttl\": 10, \"id\": " + "LEASE" + "}",
            409,
            "lease_exists"));
    return l.stream();
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInputIsRefusedAndChangesNothing(Case k) {
    byte[] body = k.body();
    if (body != null && body.length < 1024) {
      body =
          new String(body, StandardCharsets.UTF_8)
              .replace("LEASE", Long.toString(lease))
              .getBytes(StandardCharsets.UTF_8);
    }
    JsonNode before = s.snapshot(NS);
    JsonNode beforeDefault = s.snapshot(null);
    Resp r = s.send(k.method(), k.path(), body, k.headers().toArray(String[]::new));
    r.problem(k.status(), k.code());
    assertThat(s.snapshot(NS)).as("namespace %s after %s", NS, k).isEqualTo(before);
    assertThat(s.snapshot(null)).as("default namespace after %s", k).isEqualTo(beforeDefault);
  }

  @Test
  void theSeededStateIsWhatTheCasesAssume() {
    assertThat(s.get(P + "/kv/k").ok().path("kv").path("value").asText()).isEqualTo("v2");
    s.get(P + "/kv/k?revision=" + compactedRevision).problem(410, "compacted");
    assertThat(s.get(P + "/leases/" + lease).ok().path("id").asLong()).isEqualTo(lease);
    // 128 operations are still fine.
    assertThat(s.post(P + "/txn", manyCompares(127)).ok().path("succeeded").asBoolean()).isTrue();
    s.delete(P + "/kv/many");
  }
}
