package dev.cairn.http.election;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.SseClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/elections} over real HTTP against a real server. */
@ExtendWith(SharedServer.class)
@Timeout(120)
class ElectionApiTest {
  private static final String NS = "election-test";
  private static final String P = "/v1/ns/" + NS;
  private static TestServer s;

  @BeforeAll
  static void setUp(TestServer server) {
    s = server;
    s.createNamespace(NS);
  }

  private static long grant(long ttl) {
    return s.post(P + "/leases", "{\"ttl\": " + ttl + "}").ok().path("id").asLong();
  }

  private static JsonNode campaign(String name, String body) {
    return s.post(P + "/elections/" + name, body).ok();
  }

  private static CompletableFuture<JsonNode> campaignAsync(String name, String body) {
    return CompletableFuture.supplyAsync(() -> campaign(name, body));
  }

  private static JsonNode status(String name) {
    return s.get(P + "/elections/" + name).ok();
  }

  @Test
  void campaignProclaimStatusAndResign() {
    assertThat(status("plain").path("leader").isNull()).isTrue();
    JsonNode l = campaign("plain", "{\"value\": \"node-a\", \"ttl\": 30}");
    assertThat(l.path("name").asText()).isEqualTo("plain");
    assertThat(l.path("value").asText()).isEqualTo("node-a");
    long token = l.path("fencing_token").asLong();
    assertThat(token).isPositive();
    assertThat(l.path("lease").asLong()).isPositive();
    JsonNode st = status("plain");
    assertThat(st.path("leader").path("fencing_token").asLong()).isEqualTo(token);
    assertThat(st.path("leader").path("key").asText()).isEqualTo(l.path("key").asText());
    assertThat(st.path("candidates").size()).isZero();

    JsonNode p =
        s.put(P + "/elections/plain/proclaim", "{\"token\": " + token + ", \"value\": \"a2\"}")
            .ok();
    assertThat(p.path("value").asText()).isEqualTo("a2");
    assertThat(p.path("fencing_token").asLong()).isEqualTo(token);
    assertThat(status("plain").path("leader").path("value").asText()).isEqualTo("a2");

    s.delete(P + "/elections/plain?token=" + (token - 1)).problem(409, "not_holder");
    s.delete(P + "/elections/plain?token=" + token).ok();
    assertThat(status("plain").path("leader").isNull()).isTrue();
    s.delete(P + "/elections/plain?token=" + token).problem(409, "not_holder");
    s.put(P + "/elections/plain/proclaim", "{\"token\": " + token + ", \"value\": \"late\"}")
        .problem(409, "leadership_lost");
  }

  @Test
  void aLeaderWhoseLeaseIsGoneCannotProclaimAndTheNextInLineLeads() throws Exception {
    long lease = grant(30);
    JsonNode first = campaign("revoke", "{\"value\": \"a\", \"lease\": " + lease + "}");
    CompletableFuture<JsonNode> next = campaignAsync("revoke", "{\"value\": \"b\", \"ttl\": 30}");
    TestServer.await(
        Duration.ofSeconds(20),
        "a candidate queued",
        () -> status("revoke").path("candidates").size() == 1);
    long revokedAt = System.nanoTime();
    s.delete(P + "/leases/" + lease).ok();
    JsonNode second = next.get(30, TimeUnit.SECONDS);
    System.out.printf(
        "the next candidate was elected %d ms after the leader's lease was revoked%n",
        TestServer.millisSince(revokedAt));
    assertThat(second.path("value").asText()).isEqualTo("b");
    assertThat(second.path("fencing_token").asLong())
        .isGreaterThan(first.path("fencing_token").asLong());
    s.put(
            P + "/elections/revoke/proclaim",
            "{\"token\": " + first.path("fencing_token").asLong() + ", \"value\": \"x\"}")
        .problem(409, "leadership_lost");
  }

  @Test
  void anExpiredLeaderIsReplacedWithinTtlPlusASecond() throws Exception {
    JsonNode old = campaign("expiry", "{\"value\": \"a\", \"ttl\": 2}");
    long start = System.nanoTime();
    JsonNode next =
        campaignAsync("expiry", "{\"value\": \"b\", \"ttl\": 30, \"timeout_ms\": 20000}")
            .get(30, TimeUnit.SECONDS);
    long waitedMs = TestServer.millisSince(start);
    System.out.printf("a leader with a 2 s lease was replaced after %d ms%n", waitedMs);
    assertThat(waitedMs).isLessThan(3_000);
    assertThat(next.path("fencing_token").asLong())
        .isGreaterThan(old.path("fencing_token").asLong());
    s.put(
            P + "/elections/expiry/proclaim",
            "{\"token\": " + old.path("fencing_token").asLong() + ", \"value\": \"late\"}")
        .problem(409, "leadership_lost");
  }

  private static String fencedTxn(String kind, String name, long token, String value) {
    return "{\"compare\": [{\"fence\": {\""
        + kind
        + "\": \""
        + name
        + "\", \"token\": "
        + token
        + "}}], \"success\": [{\"put\": {\"key\": \"fenced/by-leader\", \"value\": \""
        + value
        + "\"}}]}";
  }

  private static String guarded() {
    return s.get(P + "/kv/fenced/by-leader").ok().path("kv").path("value").asText();
  }

  @Test
  void theLeadersTokenFencesWritesUntilANewerLeaderLeads() throws Exception {
    String h = "X-Cairn-Fence-Election";
    long lease = grant(30);
    long old =
        campaign("fenced:e", "{\"value\": \"a\", \"lease\": " + lease + "}")
            .path("fencing_token")
            .asLong();
    s.put(P + "/kv/fenced/by-leader", "v1", h, "fenced:e:" + old).ok();
    s.post(P + "/txn", fencedTxn("election", "fenced:e", old, "v2")).ok();
    assertThat(guarded()).isEqualTo("v2");
    CompletableFuture<JsonNode> next = campaignAsync("fenced:e", "{\"value\": \"b\", \"ttl\": 30}");
    TestServer.await(
        Duration.ofSeconds(20),
        "b queued",
        () -> status("fenced:e").path("candidates").size() == 1);
    long waiting = status("fenced:e").path("candidates").get(0).path("since_revision").asLong();
    // A candidate that does not lead yet fences nothing; nor does a lock of the same name.
    s.put(P + "/kv/fenced/by-leader", "x", h, "fenced:e:" + waiting).problem(412, "fenced");
    s.put(P + "/kv/fenced/by-leader", "x", "X-Cairn-Fence", "fenced:e:" + old)
        .problem(412, "fenced");

    s.delete(P + "/leases/" + lease).ok();
    long now = next.get(30, TimeUnit.SECONDS).path("fencing_token").asLong();
    assertThat(now).isEqualTo(waiting);
    // The former leader, late: every fenced write is refused and changes nothing.
    s.put(P + "/kv/fenced/by-leader", "late", h, "fenced:e:" + old).problem(412, "fenced");
    s.delete(P + "/kv/fenced/by-leader", h, "fenced:e:" + old).problem(412, "fenced");
    s.post(P + "/txn", fencedTxn("election", "fenced:e", old, "late")).problem(412, "fenced");
    assertThat(guarded()).isEqualTo("v2");
    s.put(P + "/kv/fenced/by-leader", "v3", h, "fenced:e:" + now).ok();
    assertThat(guarded()).isEqualTo("v3");

    s.delete(P + "/elections/fenced:e?token=" + now).ok();
    s.put(P + "/kv/fenced/by-leader", "none", h, "fenced:e:" + now).problem(412, "fenced");
    s.put(P + "/kv/fenced/by-leader", "x", h, "fenced:e").problem(400, "malformed_request");
    s.put(P + "/kv/fenced/by-leader", "x", h, "fenced:e:0").problem(400, "malformed_request");
    s.post(
            P + "/txn",
            "{\"compare\": [{\"fence\": {\"lock\": \"l\", \"election\": \"fenced:e\", \"token\": 1}}],"
                + " \"success\": []}")
        .problem(400, "malformed_request");
    assertThat(guarded()).isEqualTo("v3");
  }

  @Test
  void severalCampaignersLeadOneAtATimeInCampaignOrder() throws Exception {
    List<CompletableFuture<JsonNode>> campaigns = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      campaigns.add(campaignAsync("many", "{\"value\": \"c" + i + "\", \"ttl\": 30}"));
      int n = i + 1;
      TestServer.await(
          Duration.ofSeconds(20),
          "candidate " + i + " queued",
          () ->
              status("many").path("candidates").size()
                      + (status("many").path("leader").isNull() ? 0 : 1)
                  == n);
    }
    long last = 0;
    for (int i = 0; i < 5; i++) {
      JsonNode leader = campaigns.get(i).get(30, TimeUnit.SECONDS);
      assertThat(leader.path("value").asText()).isEqualTo("c" + i);
      long token = leader.path("fencing_token").asLong();
      assertThat(token).isGreaterThan(last);
      last = token;
      for (int j = i + 1; j < 5; j++) {
        assertThat(campaigns.get(j)).as("campaign %d still waits while %d leads", j, i).isNotDone();
      }
      assertThat(status("many").path("leader").path("fencing_token").asLong()).isEqualTo(token);
      s.delete(P + "/elections/many?token=" + token).ok();
    }
    assertThat(status("many").path("leader").isNull()).isTrue();
  }

  @Test
  void observersSeeEveryChangeOfLeaderInOrder() throws Exception {
    try (SseClient sse = SseClient.open(s, P + "/elections/watched?watch=true")) {
      assertThat(sse.contentType()).startsWith("text/event-stream");
      sse.awaitMore(0, Duration.ofSeconds(30)); // the current leader: none
      long a = grant(30);
      JsonNode la = campaign("watched", "{\"value\": \"a\", \"lease\": " + a + "}");
      CompletableFuture<JsonNode> lb = campaignAsync("watched", "{\"value\": \"b\", \"ttl\": 30}");
      TestServer.await(
          Duration.ofSeconds(20),
          "b queued",
          () -> status("watched").path("candidates").size() == 1);
      s.put(
              P + "/elections/watched/proclaim",
              "{\"token\": " + la.path("fencing_token").asLong() + ", \"value\": \"a2\"}")
          .ok();
      s.delete(P + "/leases/" + a).ok();
      JsonNode b = lb.get(30, TimeUnit.SECONDS);
      s.delete(P + "/elections/watched?token=" + b.path("fencing_token").asLong()).ok();
      sse.awaitMore(4, Duration.ofSeconds(30));
      List<SseClient.Event> events = sse.events();
      List<String> values = new ArrayList<>();
      long lastRevision = 0;
      for (SseClient.Event e : events) {
        assertThat(e.event()).isEqualTo("leader");
        JsonNode data = TestServer.JSON.readTree(e.data());
        JsonNode leader = data.path("leader");
        values.add(leader.isNull() ? "-" : leader.path("value").asText());
        long rev = data.path("revision").asLong();
        assertThat(rev).isGreaterThan(lastRevision);
        assertThat(e.id()).isEqualTo(Long.toString(rev));
        lastRevision = rev;
      }
      assertThat(values).containsExactly("-", "a", "a2", "b", "-");
    }
  }

  @Test
  void badRequestsAreProblems() {
    s.post(P + "/elections/x", "{\"value\": \"v\", \"lease\": 987654321}")
        .problem(404, "lease_not_found");
    s.post(P + "/elections/x", "{\"value\": \"v\"}").problem(400, "malformed_request");
    s.post(P + "/elections/x", "{\"ttl\": 5, \"timeout_ms\": 999999}")
        .problem(400, "invalid_argument");
    s.delete(P + "/elections/x").problem(400, "malformed_request");
    s.put(P + "/elections/x/proclaim", "{\"value\": \"v\"}").problem(400, "malformed_request");
    s.put(P + "/elections/x", "{}").problem(405, "method_not_allowed");
    s.get(P + "/elections/x/proclaim").problem(405, "method_not_allowed");
    campaign("held", "{\"value\": \"v\", \"ttl\": 30}");
    s.post(P + "/elections/held", "{\"value\": \"w\", \"ttl\": 30, \"timeout_ms\": 0}")
        .problem(408, "campaign_timeout");
    assertThat(status("held").path("candidates").size()).isZero();
  }
}
