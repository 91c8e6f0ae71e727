package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.http.Api;
import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests over the session's WebSocket ({@code call} / {@code reply}): they run through the same
 * routes as HTTP requests (status, problem codes, headers, namespaces), replies come as calls
 * finish (not in order), and a session has a bounded number of calls in flight.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SessionCallTest {
  /** At most two calls in flight per session, to reach the limit with a waiting lock. */
  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(Map.of("cairn.watch.max-calls-per-connection", 2));

  static Predicate<JsonNode> reply(long id) {
    return m -> m.has("reply") && m.path("reply").path("id").asLong(-1) == id;
  }

  static JsonNode call(WsClient s, long id, String body) {
    s.send("{\"call\":{\"id\":" + id + "," + body + "}}");
    return s.expect("reply " + id, Duration.ofSeconds(30), reply(id)).path("reply");
  }

  @Test
  void callsAnswerAsTheirHttpRequestsDoWithStatusHeadersAndProblems() {
    try (WsClient s = WsClient.connect(node)) {
      JsonNode put =
          call(
              s,
              1,
              "\"method\":\"PUT\",\"path\":\"/v1/kv/call/a%20b?prev_kv=true\",\"body\":\"v1\"");
      assertThat(put.path("status").asInt()).as(put.toString()).isEqualTo(200);
      long rev = put.path("body").path("revision").asLong();
      assertThat(rev).isPositive();
      assertThat(put.path("headers").path("X-Cairn-Revision").asText())
          .isEqualTo(Long.toString(rev));
      // The same key over HTTP: the call's path was taken as sent (percent-encoded).
      Resp http = node.getKey("call/a b");
      assertThat(http.status()).isEqualTo(200);
      assertThat(http.json().path("kv").path("value").asText()).isEqualTo("v1");

      JsonNode get = call(s, 2, "\"method\":\"GET\",\"path\":\"/v1/kv/call/a%20b\"");
      assertThat(get.path("status").asInt()).isEqualTo(200);
      assertThat(get.path("body").path("kv").path("value").asText()).isEqualTo("v1");
      assertThat(get.path("body").path("kv").path("mod_revision").asLong()).isEqualTo(rev);

      // Headers reach the route: a failed If-Match is the route's 412 precondition_failed.
      JsonNode cas =
          call(
              s,
              3,
              "\"method\":\"PUT\",\"path\":\"/v1/kv/call/a%20b\",\"headers\":{\"If-Match\":\"\\\""
                  + (rev + 100)
                  + "\\\"\"},\"body_base64\":\""
                  + Base64.getEncoder().encodeToString(new byte[] {1, 2, (byte) 0xff})
                  + "\"");
      assertThat(cas.path("status").asInt()).isEqualTo(412);
      assertThat(cas.path("body").path("code").asText()).isEqualTo("precondition_failed");

      JsonNode missing = call(s, 4, "\"method\":\"GET\",\"path\":\"/v1/kv/call/none\"");
      assertThat(missing.path("status").asInt()).isEqualTo(404);
      assertThat(missing.path("body").path("code").asText()).isEqualTo("key_not_found");

      JsonNode txn =
          call(
              s,
              5,
              "\"method\":\"POST\",\"path\":\"/v1/txn\",\"headers\":{\"Content-Type\":"
                  + "\"application/json\"},\"body\":\"{\\\"success\\\":[{\\\"put\\\":{\\\"key\\\":"
                  + "\\\"call/t\\\",\\\"value\\\":\\\"x\\\"}}]}\"");
      assertThat(txn.path("status").asInt()).as(txn.toString()).isEqualTo(200);
      assertThat(txn.path("body").path("succeeded").asBoolean()).isTrue();
      assertThat(node.getKey("call/t").status()).isEqualTo(200);

      // Another namespace's path works as over HTTP.
      node.createNamespace("callns");
      JsonNode nsPut =
          call(s, 6, "\"method\":\"PUT\",\"path\":\"/v1/ns/callns/kv/k\",\"body\":\"in-ns\"");
      assertThat(nsPut.path("status").asInt()).isEqualTo(200);
      assertThat(node.get("/v1/ns/callns/kv/k").json().path("kv").path("value").asText())
          .isEqualTo("in-ns");

      // Not JSON: the body comes base64 with its content type.
      JsonNode yaml = call(s, 7, "\"method\":\"GET\",\"path\":\"/v1/openapi.yaml\"");
      assertThat(yaml.path("status").asInt()).isEqualTo(200);
      assertThat(new String(Base64.getDecoder().decode(yaml.path("body_base64").asText())))
          .contains("openapi:");

      // A watch is not a call; a bad call is a reply with a problem, and the session goes on.
      JsonNode watch = call(s, 8, "\"method\":\"GET\",\"path\":\"/v1/watch/call/a\"");
      assertThat(watch.path("status").asInt()).isEqualTo(400);
      assertThat(watch.path("body").path("code").asText()).isEqualTo("invalid_argument");
      JsonNode badPath = call(s, 9, "\"method\":\"GET\",\"path\":\"/v1/kv/a b\"");
      assertThat(badPath.path("body").path("code").asText()).isEqualTo("malformed_request");
      s.send("{\"call\":{\"id\":10,\"method\":\"BREW\",\"path\":\"/v1/kv/a\"}}");
      s.expect("an error for an unknown method", WsClient.error("malformed_request"));
      assertThat(
              call(s, 11, "\"method\":\"GET\",\"path\":\"/v1/kv/call/t\"").path("status").asInt())
          .isEqualTo(200);
    }
  }

  /** Several messages in one frame, one after another, are each taken (a client's batch). */
  @Test
  void severalMessagesInOneTextFrameAreEachAnswered() {
    assertThat(node.putKey("call/batch2", "before").status()).isEqualTo(200);
    try (WsClient s = WsClient.connect(node)) {
      s.send(
          "{\"call\":{\"id\":1,\"method\":\"PUT\",\"path\":\"/v1/kv/call/batch\",\"body\":\"b\"}}"
              + "{\"heartbeat\":{}}\n"
              + "{\"call\":{\"id\":2,\"method\":\"GET\",\"path\":\"/v1/kv/call/batch2\"}}"
              + "{\"nonsense\":{}}");
      // In whatever order they finish (the put waits for its write): all four are answered.
      s.awaitLog(
          "two replies, an echo and an error",
          Duration.ofSeconds(30),
          log ->
              log.stream().anyMatch(reply(1))
                  && log.stream().anyMatch(reply(2))
                  && log.stream().anyMatch(WsClient.has("heartbeat"))
                  && log.stream().anyMatch(WsClient.error("malformed_request")));
      JsonNode put = s.messages().stream().filter(reply(1)).findFirst().orElseThrow();
      assertThat(put.path("reply").path("status").asInt()).isEqualTo(200);
      JsonNode get = s.messages().stream().filter(reply(2)).findFirst().orElseThrow();
      assertThat(get.path("reply").path("body").path("kv").path("value").asText())
          .isEqualTo("before");
      s.skipAll();
      s.send("{\"heartbeat\":{}} not json");
      s.expect("a second heartbeat's echo", WsClient.has("heartbeat"));
      s.expect("an error for what is not JSON", WsClient.error("malformed_request"));
    }
  }

  /**
   * The plainest calls (a get or put of one key) are answered without building their HTTP request;
   * each gets the reply the routes give. Every call below is sent twice, once plain and once with a
   * header that sends it through the routes, and the two replies must be the same (for puts, after
   * the revisions that differ by one write are set aside).
   */
  @Test
  void plainCallsGetTheRepliesTheRoutesGive() {
    node.createNamespace("plainns");
    Api api = node.server().api();
    String routed = "\"headers\":{\"X-Request-Id\":\"r\"},";
    String octets = "\"headers\":{\"Content-Type\":\"application/octet-stream\"},";
    String longKey = "k".repeat(5000);
    List<String> gets =
        List.of(
            "/v1/kv/plain/a%20b",
            "/v1/kv/plain/missing",
            "/v1/ns/plainns/kv/x",
            "/v1/ns/nosuchns/kv/x",
            "/v1/kv/plain/ünï",
            "/v1/kv/plain/a b",
            "/v1/kv/plain/%zz",
            "/v1/kv/" + longKey);
    try (WsClient s = WsClient.connect(node)) {
      long id = 100;
      // Puts: a plain one and a routed one of two fresh keys (KEY/p and KEY/r) each; the replies
      // agree but for the revisions.
      for (String prefix : List.of("/v1/kv/plain/", "/v1/ns/plainns/kv/", "/v1/ns/nosuchns/kv/")) {
        for (String key : List.of("a%20b", "x", "ünï", "a b", longKey)) {
          long expected = api.plainCallsAnswered() + (plainPath(prefix + key) ? 1 : 0);
          String put = "\"method\":\"PUT\",\"path\":\"" + prefix + key;
          JsonNode plain = call(s, ++id, put + "/p\"," + octets + "\"body\":\"v\"");
          assertThat(api.plainCallsAnswered()).as("PUT %s answered plain", key).isEqualTo(expected);
          JsonNode viaRoutes = call(s, ++id, put + "/r\"," + routed + "\"body\":\"v\"");
          assertThat(api.plainCallsAnswered()).as("through the routes").isEqualTo(expected);
          assertThat(withoutRevisions(plain))
              .as("PUT %s%s: plain %s, routed %s", prefix, key, plain, viaRoutes)
              .isEqualTo(withoutRevisions(viaRoutes));
        }
      }
      for (String path : gets) {
        long plainBefore = api.plainCallsAnswered();
        JsonNode plain = call(s, ++id, "\"method\":\"GET\",\"path\":\"" + path + "\"");
        JsonNode viaRoutes =
            call(
                s,
                ++id,
                "\"method\":\"GET\",\"path\":\"" + path + "\"," + routed.replaceAll(",$", ""));
        assertThat(api.plainCallsAnswered())
            .as("GET %s answered plain", path)
            .isEqualTo(plainBefore + (plainPath(path) ? 1 : 0));
        assertThat((Object) plain).as("GET %s", path).isEqualTo(idless(viaRoutes, plain));
      }
    }
  }

  /** The paths answered without a request: URI-safe characters only. */
  private static boolean plainPath(String path) {
    return path.matches("[A-Za-z0-9._~/%-]+") && !path.contains("%zz");
  }

  /** {@code reply} with the id of {@code like}, to compare the rest. */
  private static JsonNode idless(JsonNode reply, JsonNode like) {
    var copy = (ObjectNode) reply.deepCopy();
    copy.set("id", like.get("id"));
    return copy;
  }

  /** A put's reply without its id and the revisions that differ between two writes. */
  private static JsonNode withoutRevisions(JsonNode reply) {
    var copy = (ObjectNode) reply.deepCopy();
    copy.remove("id");
    if (copy.get("headers") instanceof ObjectNode h) {
      h.replace(
          "X-Cairn-Revision", h.path("X-Cairn-Revision").isMissingNode() ? null : h.textNode("R"));
      h.replace("ETag", h.path("ETag").isMissingNode() ? null : h.textNode("R"));
    }
    if (copy.get("body") instanceof ObjectNode b) {
      strip(b);
    }
    return copy;
  }

  private static void strip(ObjectNode o) {
    for (String f : List.of("revision", "create_revision", "mod_revision")) {
      if (o.has(f)) {
        o.put(f, 0);
      }
    }
    if (o.has("detail")) {
      o.put("detail", o.get("detail").asText().replaceAll("/[pr](?=['\\s]|$)", "/_"));
    }
    if (o.has("key")) {
      String k = o.get("key").asText();
      o.put("key", k.substring(0, k.length() - 1)); // KEY/p and KEY/r: the same but for the last
    }
    o.fields()
        .forEachRemaining(
            e -> {
              if (e.getValue() instanceof ObjectNode child) {
                strip(child);
              }
            });
  }

  /**
   * With {@code batch=true} the replies that finish together come in one text message, one JSON
   * message per line: two reads of the published state in one frame are answered in the turn that
   * reads them, so in one message. Without it, each reply is a message of its own.
   */
  @Test
  void withBatchTheRepliesThatFinishTogetherShareOneTextMessage() {
    assertThat(node.putKey("call/batched", "v").status()).isEqualTo(200);
    String twoGets =
        "{\"call\":{\"id\":1,\"method\":\"GET\",\"path\":\"/v1/kv/call/batched\"}}"
            + "{\"call\":{\"id\":2,\"method\":\"GET\",\"path\":\"/v1/kv/call/batched\"}}";
    Predicate<List<JsonNode>> both =
        log -> log.stream().anyMatch(reply(1)) && log.stream().anyMatch(reply(2));
    try (WsClient s = WsClient.connect(node.client(), node.ws("/v1/watch?batch=true"))) {
      s.send(twoGets);
      s.awaitLog("both replies", Duration.ofSeconds(30), both);
      assertThat(s.perTextMessage()).as("JSON messages per text message").containsExactly(2);
      for (JsonNode m : s.messages()) {
        assertThat(m.path("reply").path("body").path("kv").path("value").asText())
            .as(m.toString())
            .isEqualTo("v");
      }
      // Puts, answered after their write: each reply comes once, alone or with the other.
      s.send(
          "{\"call\":{\"id\":3,\"method\":\"PUT\",\"path\":\"/v1/kv/call/b3\",\"body\":\"x\"}}"
              + "{\"call\":{\"id\":4,\"method\":\"PUT\",\"path\":\"/v1/kv/call/b4\",\"body\":\"y\"}}");
      s.awaitLog(
          "both put replies",
          Duration.ofSeconds(30),
          log -> log.stream().anyMatch(reply(3)) && log.stream().anyMatch(reply(4)));
      assertThat(s.messages().stream().filter(m -> m.has("reply")).count()).isEqualTo(4);
      assertThat(node.getKey("call/b4").json().path("kv").path("value").asText()).isEqualTo("y");
    }
    try (WsClient s = WsClient.connect(node)) {
      s.send(twoGets);
      s.awaitLog("both replies", Duration.ofSeconds(30), both);
      assertThat(s.perTextMessage()).as("JSON messages per text message").containsExactly(1, 1);
    }
    // A batch that reaches 64 KiB goes out at once: two replies of 70 KB each are two messages.
    assertThat(node.putKey("call/big", "x".repeat(70_000)).status()).isEqualTo(200);
    try (WsClient s = WsClient.connect(node.client(), node.ws("/v1/watch?batch=true"))) {
      s.send(
          "{\"call\":{\"id\":1,\"method\":\"GET\",\"path\":\"/v1/kv/call/big\"}}"
              + "{\"call\":{\"id\":2,\"method\":\"GET\",\"path\":\"/v1/kv/call/big\"}}");
      s.awaitLog("both big replies", Duration.ofSeconds(30), both);
      assertThat(s.perTextMessage()).as("JSON messages per text message").containsExactly(1, 1);
    }
    Resp bad = node.get("/v1/watch?batch=yes");
    assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
    assertThat(bad.code()).as(bad.toString()).isEqualTo("malformed_request");
  }

  /**
   * A call that waits (a lock held by another) does not hold up the calls after it: their replies
   * come first. A third call while two are in flight is refused with too_many_requests and not run;
   * once the waiting call is answered the session takes calls again.
   */
  @Test
  void repliesComeAsCallsFinishAndCallsBeyondTheLimitAreRefusedUnrun() {
    Resp held = node.post("/v1/locks/call-lock", "{\"ttl\":30}");
    assertThat(held.status()).as(held.toString()).isEqualTo(200);
    long token = held.json().path("fencing_token").asLong();
    try (WsClient s = WsClient.connect(node)) {
      s.send(
          "{\"call\":{\"id\":1,\"method\":\"POST\",\"path\":\"/v1/locks/call-lock\","
              + "\"body\":\"{\\\"ttl\\\":30,\\\"timeout_ms\\\":25000}\"}}");
      s.send(
          "{\"call\":{\"id\":2,\"method\":\"PUT\",\"path\":\"/v1/kv/call/limit\",\"body\":\"x\"}}");
      JsonNode second = s.expect("reply 2", Duration.ofSeconds(30), reply(2)).path("reply");
      assertThat(second.path("status").asInt()).isEqualTo(200);
      assertThat(s.messages().stream().anyMatch(reply(1))).as("the waiting call's reply").isFalse();

      // Call 1 is still in flight (waiting for the lock); with 3, waiting too, they are 2: the
      // limit.
      s.send(
          "{\"call\":{\"id\":3,\"method\":\"POST\",\"path\":\"/v1/locks/call-lock\","
              + "\"body\":\"{\\\"ttl\\\":30,\\\"timeout_ms\\\":8000}\"}}");
      s.send(
          "{\"call\":{\"id\":4,\"method\":\"PUT\",\"path\":\"/v1/kv/call/refused\",\"body\":\"x\"}}");
      JsonNode refused = s.expect("reply 4", Duration.ofSeconds(30), reply(4)).path("reply");
      assertThat(refused.path("status").asInt()).isEqualTo(429);
      assertThat(refused.path("body").path("code").asText()).isEqualTo("too_many_requests");
      assertThat(node.getKey("call/refused").status())
          .as("the refused put was not run")
          .isEqualTo(404);

      Resp released = node.delete("/v1/locks/call-lock?token=" + token);
      assertThat(released.status()).as(released.toString()).isEqualTo(200);
      JsonNode first = s.expect("reply 1", Duration.ofSeconds(30), reply(1)).path("reply");
      assertThat(first.path("status").asInt()).as(first.toString()).isEqualTo(200);
      assertThat(first.path("body").path("fencing_token").asLong()).isGreaterThan(token);
      JsonNode third = s.expect("reply 3", Duration.ofSeconds(30), reply(3)).path("reply");
      assertThat(third.path("body").path("code").asText()).isEqualTo("lock_timeout");
      assertThat(
              call(s, 5, "\"method\":\"PUT\",\"path\":\"/v1/kv/call/refused\",\"body\":\"y\"")
                  .path("status")
                  .asInt())
          .isEqualTo(200);
    }
  }
}
