package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests as calls on the session's WebSocket: they go there while it is open, replies are taken
 * in the order they come (a waiting call does not hold up the others), a call the server refuses at
 * its in-flight limit goes over HTTP instead, and when the socket drops with calls in flight a put
 * is reported as of unknown outcome while a get is sent again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SessionCallsTest {
  static Node node;

  /** A node whose sessions take at most two calls in flight. */
  static Node limited;

  @BeforeAll
  static void start() {
    node = Node.start();
    limited = Node.start(Map.of("cairn.watch.max-calls-per-connection", 2));
  }

  @AfterAll
  static void stop() {
    node.close();
    limited.close();
  }

  /** A lock held over HTTP by another client; returns its fencing token. */
  private static long holdLock(Node n, String name) {
    var r = n.send("POST", "/v1/locks/" + name, "{\"ttl\":30}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Long.parseLong(r.body().replaceAll(".*\"fencing_token\":(\\d+).*", "$1"));
  }

  /** Asks for the lock through the client's transport: waits while another holds it. */
  private static CompletableFuture<Transport.Answer> waitForLock(
      CairnClient c, String name, boolean idempotent) {
    return c.transport()
        .send(
            new Transport.Call(
                "POST",
                "/v1/locks/" + name,
                "{\"ttl\":30,\"timeout_ms\":25000}".getBytes(StandardCharsets.UTF_8),
                List.of("Content-Type", "application/json"),
                idempotent));
  }

  @Test
  void requestsGoAsCallsAndAnswerAsOverHttp() {
    try (CairnClient c = CairnClient.connect(node.url());
        CairnClient http =
            CairnClient.builder().endpoints(node.url()).sessionCalls(false).build()) {
      long calls = c.transport().sentAsCalls.sum();
      long overHttp = c.transport().sentOverHttp.sum();
      Reply.PutReply put =
          c.kv()
              .blocking()
              .put("sc/a", Bytes.wrap(new byte[] {0, (byte) 0xff, 1}), Kv.PutOptions.NONE);
      assertThat(c.kv().blocking().get("sc/a").orElseThrow().value())
          .isEqualTo(Bytes.wrap(new byte[] {0, (byte) 0xff, 1}));
      c.kv().blocking().put("sc/b", "text é");
      assertThat(c.kv().blocking().compareAndSet("sc/b", put.revision(), Bytes.utf8("x")))
          .as("a failed compare-and-set, its If-Match header sent in the call")
          .isEmpty();
      assertThat(c.kv().blocking().get("sc/missing")).isEmpty();
      Reply.TxnReply t =
          CairnClient.await(
              c.kv()
                  .txn()
                  .ifVersion("sc/b", dev.cairn.core.keyspace.Compare.Op.EQUAL, 1)
                  .thenPut("sc/c", Bytes.utf8("y"))
                  .commit());
      assertThat(t.succeeded()).isTrue();
      assertThat(c.transport().sentAsCalls.sum() - calls).isEqualTo(6);
      assertThat(c.transport().sentOverHttp.sum()).isEqualTo(overHttp);
      // The same answers as over HTTP.
      assertThat(http.kv().blocking().get("sc/b").orElseThrow().value().utf8String())
          .isEqualTo("text é");
      assertThat(http.kv().blocking().get("sc/c").orElseThrow())
          .isEqualTo(c.kv().blocking().get("sc/c").orElseThrow());
      assertThat(http.transport().sentAsCalls.sum()).isZero();
    }
  }

  /**
   * Many calls at once: the server answers those that finish together in one message (the session
   * asks for {@code batch=true}) and the calls made as they are answered go out together; every
   * call is answered, with its own answer.
   */
  @Test
  void manyCallsAtOnceAreEachAnsweredWithTheirOwnAnswer() {
    int n = 400;
    try (CairnClient c = CairnClient.connect(node.url())) {
      long calls = c.transport().sentAsCalls.sum();
      List<CompletableFuture<Long>> puts = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        // Each put, once answered, reads its key back: the read goes out while replies are read.
        String key = "sc/many/" + i;
        puts.add(
            c.kv()
                .put(key, Bytes.utf8("v" + i))
                .thenCompose(p -> c.kv().get(key))
                .thenApply(kv -> Long.parseLong(kv.orElseThrow().value().utf8String().substring(1)))
                .toCompletableFuture());
      }
      for (int i = 0; i < n; i++) {
        assertThat(puts.get(i).orTimeout(60, TimeUnit.SECONDS).join()).isEqualTo(i);
      }
      assertThat(c.transport().sentAsCalls.sum() - calls).isEqualTo(2L * n);
    }
  }

  @Test
  void aWaitingCallDoesNotHoldUpTheCallsAfterIt() throws Exception {
    long token = holdLock(node, "sc-order");
    try (CairnClient c = CairnClient.connect(node.url())) {
      long calls = c.transport().sentAsCalls.sum();
      CompletableFuture<Transport.Answer> waiting = waitForLock(c, "sc-order", false);
      for (int i = 0; i < 20; i++) {
        c.kv().blocking().put("sc/order/" + i, "v");
      }
      assertThat(waiting).as("the lock is still held by the other").isNotDone();
      assertThat(node.send("DELETE", "/v1/locks/sc-order?token=" + token, null).statusCode())
          .isEqualTo(200);
      assertThat(waiting.get(30, TimeUnit.SECONDS).json().path("fencing_token").asLong())
          .isGreaterThan(token);
      assertThat(c.transport().sentAsCalls.sum() - calls).isEqualTo(21);
    }
  }

  @Test
  void aCallRefusedAtTheServersLimitGoesOverHttp() throws Exception {
    long token = holdLock(limited, "sc-limit");
    try (CairnClient c = CairnClient.connect(limited.url())) {
      CompletableFuture<Transport.Answer> w1 = waitForLock(c, "sc-limit", false);
      CompletableFuture<Transport.Answer> w2 = waitForLock(c, "sc-limit", false);
      long overHttp = c.transport().sentOverHttp.sum();
      // Two calls wait on the server: a third is refused unrun (too_many_requests) and sent again
      // over HTTP, where it succeeds.
      c.kv().blocking().put("sc/limit", "v");
      assertThat(c.transport().sentOverHttp.sum()).isEqualTo(overHttp + 1);
      assertThat(limited.send("GET", "/v1/kv/sc/limit", null).statusCode()).isEqualTo(200);
      assertThat(w1).isNotDone();
      assertThat(limited.send("DELETE", "/v1/locks/sc-limit?token=" + token, null).statusCode())
          .isEqualTo(200);
      CompletableFuture.anyOf(w1, w2).get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aDroppedSocketLeavesAPutUnknownAndSendsAGetAgain() throws Exception {
    try (CairnClient c = CairnClient.connect(node.url())) {
      c.kv().blocking().put("sc/drop/get", "before");
      c.session().stallReading(Duration.ofSeconds(30));
      long calls = c.transport().sentAsCalls.sum();
      CompletableFuture<Reply.PutReply> put =
          c.kv().put("sc/drop/put", Bytes.utf8("x")).toCompletableFuture();
      CompletableFuture<java.util.Optional<dev.cairn.core.KeyValue>> get =
          c.kv().get("sc/drop/get").toCompletableFuture();
      assertThat(c.transport().sentAsCalls.sum()).isEqualTo(calls + 2);
      // The put reached the server and was applied; its reply is stuck in the unread socket.
      Node.await(
          Duration.ofSeconds(30),
          "the put to be applied",
          () -> node.send("GET", "/v1/kv/sc/drop/put", null).statusCode() == 200);
      assertThat(put).isNotDone();
      assertThat(get).isNotDone();
      c.dropSession();
      assertThatThrownBy(() -> CairnClient.await(put))
          .isInstanceOf(OutcomeUnknownException.class)
          .hasMessageContaining("sc/drop/put");
      assertThat(CairnClient.await(get).orElseThrow().value().utf8String()).isEqualTo("before");
      // The session comes back and carries requests again.
      Node.await(
          Duration.ofSeconds(30),
          "requests to go as calls again",
          () -> {
            long before = c.transport().sentAsCalls.sum();
            c.kv().blocking().get("sc/drop/get");
            return c.transport().sentAsCalls.sum() > before;
          });
    }
  }

  /**
   * A node that hangs with its socket open (here: the socket's replies no longer read): a call
   * times out after the request timeout as an HTTP request would, a put as of unknown outcome, a
   * get sent again to the next endpoint (the same node under another name, over HTTP).
   */
  @Test
  void aCallWithoutAReplyTimesOutAsAnHttpRequestWould() throws Exception {
    String other = node.url().replace("127.0.0.1", "localhost");
    try (CairnClient c =
        CairnClient.builder()
            .endpoints(node.url(), other)
            .requestTimeout(Duration.ofSeconds(2))
            .build()) {
      c.kv().blocking().put("sc/hang/get", "v");
      c.session().stallReading(Duration.ofSeconds(30));
      long calls = c.transport().sentAsCalls.sum();
      long t0 = System.nanoTime();
      CompletableFuture<Reply.PutReply> put =
          c.kv().put("sc/hang/put", Bytes.utf8("x")).toCompletableFuture();
      assertThat(c.transport().sentAsCalls.sum()).isEqualTo(calls + 1);
      assertThatThrownBy(() -> put.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(OutcomeUnknownException.class)
          .hasMessageContaining("sc/hang/put");
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      CompletableFuture<java.util.Optional<dev.cairn.core.KeyValue>> get =
          c.kv().get("sc/hang/get").toCompletableFuture();
      assertThat(CairnClient.await(get).orElseThrow().value().utf8String()).isEqualTo("v");
    }
  }

  /**
   * A barrier's wait changes nothing, so it is idempotent: in flight when the socket drops, it is
   * sent again (over HTTP while the session reconnects, or as a call) and answers once the barrier
   * is released.
   */
  @Test
  void aWaitingIdempotentCallIsSentAgainAfterTheSocketDrops() throws Exception {
    var held = node.send("PUT", "/v1/barriers/sc-b/hold", "{}");
    assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
    try (CairnClient c = CairnClient.connect(node.url())) {
      long attempts = c.transport().sentAsCalls.sum() + c.transport().sentOverHttp.sum();
      CompletableFuture<Transport.Answer> wait =
          c.transport()
              .send(
                  new Transport.Call(
                      "POST",
                      "/v1/barriers/sc-b/wait",
                      "{\"timeout_ms\":25000}".getBytes(StandardCharsets.UTF_8),
                      List.of("Content-Type", "application/json"),
                      true));
      assertThat(c.transport().sentAsCalls.sum() + c.transport().sentOverHttp.sum())
          .isEqualTo(attempts + 1);
      c.dropSession();
      Node.await(
          Duration.ofSeconds(30),
          "the wait to be sent again",
          () -> c.transport().sentAsCalls.sum() + c.transport().sentOverHttp.sum() == attempts + 2);
      assertThat(wait).isNotDone();
      assertThat(node.send("DELETE", "/v1/barriers/sc-b/hold", null).statusCode()).isEqualTo(200);
      assertThat(wait.get(30, TimeUnit.SECONDS).json().path("revision").asLong()).isPositive();
    }
  }
}
