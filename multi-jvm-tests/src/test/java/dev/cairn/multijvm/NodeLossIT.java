package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Losing a node, with real processes: three Cairn JVMs, one cluster shared by the scenarios in
 * order (a cluster start costs most of a scenario on the test machine).
 *
 * <ol>
 *   <li>The first seed restarts while its peers answer late: node 0 (the head of every node's seed
 *       list) is killed, nodes 1 and 2 are frozen (SIGSTOP), and node 0 starts again. It must not
 *       form a cluster of its own (Pekko's first seed does after a 2 s seed-node timeout) nor say
 *       it is ready; when its peers wake it must be a member of their cluster.
 *   <li>Leases across the loss of the node L leading two namespaces, L killed with SIGKILL:
 *       <ul>
 *         <li>{@code quiet}: a lease with a short TTL holding a key, and after the kill no request
 *             to that namespace at all. Its leader must run again on a survivor by itself (its
 *             lease timers fire), so the lease expires and its key vanishes within TTL + failover
 *             time, observed from a survivor (its {@code cairn_lease_expired_total} rises; only
 *             then is the key read).
 *         <li>{@code session}: a WebSocket session on L holding a lease with a key. The client
 *             reconnects to a survivor, attaches its lease and keeps talking: the lease and its key
 *             survive the failover (the new leader gives every lease its full TTL again).
 *       </ul>
 * </ol>
 *
 * <p>Failure detection is relaxed for the loaded test machine ({@link
 * CairnCluster.Options#relaxed}), so the failover measured is not the product's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeLossIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long QUIET_TTL = 5;
  private static final long SESSION_TTL = 10;

  /**
   * How long node 0's peers stay frozen after its restart: well beyond the 2 s seed-node timeout,
   * within the relaxed failure detector's 15 s acceptable pause.
   */
  private static final Duration FROZEN = Duration.ofSeconds(12);

  private static CairnCluster cluster;

  @BeforeAll
  static void start() throws IOException {
    cluster = CairnCluster.start("node-loss", CairnCluster.Options.relaxed(3));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aRestartedFirstSeedJoinsTheRunningClusterWhenItsPeersAnswerLate() throws Exception {
    assertThat(Http.put(cluster.node(1).uri("/v1/kv/before-restart"), "x").statusCode())
        .isEqualTo(200);
    cluster.kill9(0);
    cluster.suspend(1);
    cluster.suspend(2);
    long launched = System.nanoTime();
    try {
      cluster.launchAgain(0);
      // Node 0 alone for FROZEN: whatever it answers, it must not be a cluster of its own.
      List<String> seen = new ArrayList<>();
      while (System.nanoTime() - launched < FROZEN.toNanos()) {
        try {
          HttpResponse<String> ready = Http.get(cluster.node(0).uri("/ready"));
          assertThat(ready.statusCode())
              .as("node 0's /ready while its peers are frozen: %s", ready.body())
              .isNotEqualTo(200);
          HttpResponse<String> view = Http.get(cluster.node(0).uri("/v1/cluster"));
          if (view.statusCode() == 200) {
            for (JsonNode m : JSON.readTree(view.body()).path("members")) {
              seen.add(m.path("address").asText() + " " + m.path("status").asText());
              assertThat(m.path("status").asText())
                  .as("node 0's view of %s while its peers are frozen", m.path("address"))
                  .isNotEqualTo("up");
            }
          }
        } catch (IOException notListening) {
          // still starting
        }
        assertThat(cluster.node(0).tail(400))
            .as("node 0's log while its peers are frozen")
            .doesNotContain("joined the cluster as");
        Thread.sleep(200);
      }
      System.out.printf(
          "first-seed-restart: node 0 alone for %d s, members it saw: %s%n",
          FROZEN.toSeconds(), new java.util.TreeSet<>(seen));
    } finally {
      cluster.resume(1);
      cluster.resume(2);
    }
    long resumed = System.nanoTime();
    cluster.awaitReady(0);
    cluster.awaitAllUp(Duration.ofMinutes(3));
    System.out.printf(
        "first-seed-restart: node 0 ready in the running cluster %d ms after its peers woke%n",
        (System.nanoTime() - resumed) / 1_000_000);
    // One cluster: what node 1 wrote before is read on node 0, and the other way round.
    // The cluster moves leaders to node 0 now (it leads none): a hand-off delays these, no more.
    HttpResponse<String> before = Http.get(cluster.node(0).uri("/v1/kv/before-restart"));
    assertThat(before.statusCode()).as(before.body()).isEqualTo(200);
    HttpResponse<String> after = Http.put(cluster.node(0).uri("/v1/kv/after-restart"), "y");
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    HttpResponse<String> read = Http.get(cluster.node(2).uri("/v1/kv/after-restart"));
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void leasesOfAKilledLeadersNamespacesExpireOrSurviveWithoutRequests() throws Exception {
    // Two namespaces led by one node: among four, some node leads at least two.
    Map<Integer, List<String>> byLeader = new HashMap<>();
    for (int c = 0; c < 4; c++) {
      String ns = "n" + c;
      // Right after scenario 1 the cluster may still be settling (503, retryable): retry.
      assertThat(putRetrying(cluster.node(0).uri("/v1/namespaces/" + ns), "").statusCode())
          .isIn(201, 409);
      assertThat(putRetrying(cluster.node(0).uri("/v1/ns/" + ns + "/kv/start"), "x").statusCode())
          .isEqualTo(200);
    }
    for (int c = 0; c < 4; c++) {
      String ns = "n" + c;
      byLeader.computeIfAbsent(cluster.leaderOf(ns), k -> new ArrayList<>()).add(ns);
    }
    int leader =
        byLeader.entrySet().stream()
            .filter(e -> e.getValue().size() >= 2)
            .findFirst()
            .orElseThrow()
            .getKey();
    String quiet = byLeader.get(leader).get(0);
    String session = byLeader.get(leader).get(1);
    int observer = (leader + 1) % 3;
    int other = (leader + 2) % 3;

    // quiet: a lease of 5 s and a key on it, on the leader's node; nothing more after the kill.
    long quietLease = grant(cluster.node(leader).uri("/v1/ns/" + quiet + "/leases"), QUIET_TTL);
    assertThat(
            Http.put(
                    cluster
                        .node(leader)
                        .uri("/v1/ns/" + quiet + "/kv/ephemeral?lease=" + quietLease),
                    "q")
                .statusCode())
        .isEqualTo(200);
    // Once it answers here, the key is durable and led by the node about to die.
    assertThat(
            Http.get(cluster.node(observer).uri("/v1/ns/" + quiet + "/kv/ephemeral")).statusCode())
        .isEqualTo(200);

    // session: a WebSocket session on the leader's node holding a lease with a key.
    Session s = Session.open(cluster.node(leader).uri("/v1/ns/" + session + "/watch"));
    s.send("{\"lease_grant\": {\"ttl\": " + SESSION_TTL + "}}");
    JsonNode granted = s.await("lease_granted", Duration.ofSeconds(30));
    long sessionLease = granted.path("id").asLong();
    assertThat(
            Http.put(
                    cluster
                        .node(leader)
                        .uri("/v1/ns/" + session + "/kv/owned?lease=" + sessionLease),
                    "s")
                .statusCode())
        .isEqualTo(200);

    double expiredBefore = expired(cluster, observer) + expired(cluster, other);
    long killedAt = System.nanoTime();
    cluster.kill9(leader);

    // The session's client comes back on a survivor with its lease id and keeps talking.
    Session resumed = Session.open(cluster.node(observer).uri("/v1/ns/" + session + "/watch"));
    long attachedAt = resumed.attach(sessionLease, Duration.ofMinutes(2));
    System.out.printf(
        "leader-leases: session lease %d attached on node %d %d ms after the kill of node %d%n",
        sessionLease, observer, (attachedAt - killedAt) / 1_000_000, leader);

    // quiet: its lease expires on a survivor with no request to it.
    Duration bound = Duration.ofSeconds(90);
    cluster.await(
        "the lease of namespace " + quiet + " expires on a survivor without a request",
        bound,
        () -> {
          resumed.heartbeat();
          try {
            return expired(cluster, observer) + expired(cluster, other) > expiredBefore;
          } catch (IOException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
    long expiredMs = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.printf(
        "leader-leases: the %d s lease of %s (no request after the kill) expired %d ms after the"
            + " kill%n",
        QUIET_TTL, quiet, expiredMs);
    assertThat(
            Http.get(cluster.node(observer).uri("/v1/ns/" + quiet + "/kv/ephemeral")).statusCode())
        .as("the expired lease's key is gone")
        .isEqualTo(404);

    // session: kept alive over more than a TTL, the lease and its key are still there.
    long until = System.nanoTime() + Duration.ofSeconds(SESSION_TTL * 3 / 2).toNanos();
    while (System.nanoTime() < until) {
      resumed.heartbeat();
      Thread.sleep(1000); // the client's pace: a heartbeat a second
    }
    assertThat(resumed.received("lease_expired")).as("lease_expired messages").isEmpty();
    HttpResponse<String> ttl =
        Http.get(cluster.node(other).uri("/v1/ns/" + session + "/leases/" + sessionLease));
    assertThat(ttl.statusCode()).as("the session's lease: %s", ttl.body()).isEqualTo(200);
    assertThat(Http.get(cluster.node(other).uri("/v1/ns/" + session + "/kv/owned")).statusCode())
        .as("the session lease's key")
        .isEqualTo(200);
    resumed.close();
  }

  @Test
  @Order(3)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void requestsWaitingOnAKilledLeaderAreAnsweredWhenItsNodeIsDowned() throws Exception {
    for (int i = 0; i < cluster.size(); i++) {
      if (!cluster.isLive(i)) {
        cluster.restart(i); // killed by the scenario before
      }
    }
    String ns = "inflight";
    assertThat(putRetrying(cluster.node(0).uri("/v1/namespaces/" + ns), "").statusCode())
        .isIn(201, 409);
    assertThat(putRetrying(cluster.node(0).uri("/v1/ns/" + ns + "/kv/k"), "v1").statusCode())
        .isEqualTo(200);
    int leader = cluster.leaderOf(ns);
    int asker = (leader + 1) % 3;
    // The asking node's replica follows the leader once it serves what the leader wrote.
    cluster.await(
        "node " + asker + "'s replica of " + ns + " has k",
        Duration.ofSeconds(30),
        () -> {
          try {
            return Http.get(
                        cluster.node(asker).uri("/v1/ns/" + ns + "/kv/k?consistency=serializable"))
                    .statusCode()
                == 200;
          } catch (IOException | InterruptedException e) {
            return false;
          }
        });

    cluster.suspend(leader);
    CompletableFuture<HttpResponse<String>> write =
        CompletableFuture.supplyAsync(
            () ->
                unchecked(() -> Http.put(cluster.node(asker).uri("/v1/ns/" + ns + "/kv/k"), "v2")));
    CompletableFuture<HttpResponse<String>> read =
        CompletableFuture.supplyAsync(
            () -> unchecked(() -> Http.get(cluster.node(asker).uri("/v1/ns/" + ns + "/kv/k"))));
    // Both are with the stopped leader: the asking node waits for its answers.
    cluster.await(
        "node " + asker + " waits on two asks",
        Duration.ofSeconds(30),
        () -> gauge(cluster, asker, "cairn_namespace_remote_asks") >= 2);
    long killed = System.nanoTime();
    cluster.kill9(leader);

    // Its port closes, the survivors down it, and what waited on it is answered then: the read
    // by the next leader, the write as of unknown outcome (it may have been applied).
    HttpResponse<String> w = write.get(60, TimeUnit.SECONDS);
    long writeMs = (System.nanoTime() - killed) / 1_000_000;
    HttpResponse<String> r = read.get(60, TimeUnit.SECONDS);
    long readMs = (System.nanoTime() - killed) / 1_000_000;
    System.out.printf(
        "in-flight: write answered %d ms after the kill (%d), read %d ms (%d)%n",
        writeMs, w.statusCode(), readMs, r.statusCode());
    assertThat(w.statusCode()).as(w.body()).isEqualTo(503);
    assertThat(w.body()).contains("may or may not have been applied");
    // The ask's own deadline is 5 s after it was sent: well before that.
    assertThat(writeMs).isLessThan(3_000);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(readMs).isLessThan(4_000);
    cluster.restart(leader);
    cluster.awaitAllUp(Duration.ofMinutes(3));
  }

  private interface IoCall<T> {
    T call() throws IOException, InterruptedException;
  }

  private static <T> T unchecked(IoCall<T> call) {
    try {
      return call.call();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Node {@code i}'s gauge {@code name} from its /metrics, 0 when absent. */
  private static double gauge(CairnCluster cluster, int i, String name) {
    try {
      HttpResponse<String> m = Http.get(cluster.node(i).uri("/metrics"));
      for (String line : m.body().split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (IOException | InterruptedException e) {
      // not answering now
    }
    return 0;
  }

  /** PUT, again after each 503 (a retryable answer) for up to a minute. */
  private static HttpResponse<String> putRetrying(URI uri, String body)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      HttpResponse<String> r = Http.put(uri, body);
      if (r.statusCode() != 503 || System.nanoTime() - deadline > 0) {
        return r;
      }
      Thread.sleep(500);
    }
  }

  private static long grant(URI leases, long ttl) throws IOException, InterruptedException {
    HttpResponse<String> r = Http.post(leases, "{\"ttl\": " + ttl + "}");
    assertThat(r.statusCode()).as("lease grant: %s", r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("id").asLong();
  }

  /** Node {@code i}'s {@code cairn_lease_expired_total}. */
  private static double expired(CairnCluster cluster, int i)
      throws IOException, InterruptedException {
    HttpResponse<String> r = Http.get(cluster.node(i).uri("/metrics"));
    for (String line : r.body().split("\n")) {
      if (line.startsWith("cairn_lease_expired_total")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  /** A WebSocket session as a client keeps one: JSON messages both ways, read into a queue. */
  private static final class Session implements WebSocket.Listener {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final BlockingQueue<JsonNode> in = new LinkedBlockingQueue<>();
    private final List<JsonNode> all = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static Session open(URI http) throws Exception {
      Session s = new Session();
      URI ws = URI.create(http.toString().replaceFirst("^http", "ws"));
      s.socket = CLIENT.newWebSocketBuilder().buildAsync(ws, s).get(30, TimeUnit.SECONDS);
      return s;
    }

    void send(String json) {
      socket.sendText(json, true).join();
    }

    void heartbeat() {
      send("{\"heartbeat\": {}}");
    }

    /** Waits for a message holding {@code field}; returns its value. */
    JsonNode await(String field, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        JsonNode m = in.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (m == null) {
          throw new AssertionError("no " + field + " within " + timeout + "; got " + received());
        }
        if (m.has(field)) {
          return m.get(field);
        }
      }
    }

    /**
     * Attaches lease {@code id}, again after each refusal or timeout (the namespace's leader may
     * still be moving), talking all the while; returns when it was attached.
     */
    long attach(long id, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        send("{\"lease_attach\": {\"id\": " + id + "}}");
        long wait = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < wait) {
          JsonNode m = in.poll(1, TimeUnit.SECONDS);
          heartbeat();
          if (m == null) {
            continue;
          }
          if (m.has("lease_attached")) {
            return System.nanoTime();
          }
          if (m.has("error")) {
            assertThat(m.toString()).as("an attach refusal").doesNotContain("lease_not_found");
            break;
          }
        }
      }
      throw new AssertionError(
          "lease " + id + " not attached within " + timeout + ": " + received());
    }

    synchronized List<JsonNode> received() {
      return List.copyOf(all);
    }

    synchronized List<JsonNode> received(String field) {
      return all.stream().filter(m -> m.has(field)).toList();
    }

    void close() {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode m = JSON.readTree(partial.toString());
          synchronized (this) {
            all.add(m);
          }
          in.add(m);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
