package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.Bytes;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several endpoints: a node that is down is skipped for every request; a node answering 503 is left
 * for the next one after its Retry-After for reads, while a write it may have applied is reported
 * as of unknown outcome, never sent again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailoverTest {
  static Node node;
  static HttpServer unavailable;
  static final AtomicInteger refused = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    node = Node.start();
    // A node that answers every request as a Cairn node with no quorum does: 503 + Retry-After.
    unavailable = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    unavailable.createContext(
        "/",
        x -> {
          if (!x.getRequestURI().getPath().equals("/health")) {
            refused.incrementAndGet();
          }
          byte[] body =
              "{\"type\":\"urn:cairn:problem:unavailable\",\"title\":\"Unavailable\",\"status\":503,\"code\":\"unavailable\",\"detail\":\"no leader\"}"
                  .getBytes(StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/problem+json");
          x.getResponseHeaders().add("Retry-After", "1");
          x.sendResponseHeaders(503, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    unavailable.start();
  }

  @AfterAll
  static void stop() {
    unavailable.stop(0);
    node.close();
  }

  private static String unavailableUrl() {
    return "http://127.0.0.1:" + unavailable.getAddress().getPort();
  }

  @Test
  void everyRequestGoesToTheNodeThatIsUpWhenTheFirstIsDown() {
    String down = "http://127.0.0.1:" + Node.freePort();
    try (CairnClient c = CairnClient.connect(down, node.url())) {
      c.kv().blocking().put("fo/a", "1"); // a write that was never sent is safe to send elsewhere
      assertThat(c.kv().blocking().get("fo/a").orElseThrow().value().utf8String()).isEqualTo("1");
      Leases.Lease l = CairnClient.await(c.leases().grant(Duration.ofSeconds(5)));
      assertThat(node.send("GET", "/v1/leases/" + l.id(), null).statusCode()).isEqualTo(200);
    }
  }

  /**
   * Requests over HTTP (no session calls): the stand-in node speaks no WebSocket, and with calls on
   * the client would have left it for the real node before the first request.
   */
  private static CairnClient httpOnly(String... endpoints) {
    return CairnClient.builder().endpoints(endpoints).sessionCalls(false).build();
  }

  @Test
  void aReadAnswered503IsRetriedOnTheNextEndpointAfterRetryAfter() {
    node.send("PUT", "/v1/kv/fo/read", "x");
    try (CairnClient c = httpOnly(unavailableUrl(), node.url())) {
      int before = refused.get();
      long t0 = System.nanoTime();
      assertThat(c.kv().blocking().get("fo/read").orElseThrow().value()).isEqualTo(Bytes.utf8("x"));
      assertThat(refused.get()).isEqualTo(before + 1);
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void aWriteAnswered503IsReportedAsUnknownAndNotRetried() {
    try (CairnClient c = httpOnly(unavailableUrl(), node.url())) {
      int before = refused.get();
      assertThatThrownBy(() -> c.kv().blocking().put("fo/w", "x"))
          .isInstanceOfSatisfying(
              OutcomeUnknownException.class,
              e -> {
                assertThat(e.code()).isEqualTo("outcome_unknown");
                assertThat(e.getCause()).isInstanceOf(ProblemException.class);
                assertThat(((ProblemException) e.getCause()).code()).isEqualTo("unavailable");
              });
      assertThat(refused.get()).isEqualTo(before + 1);
      assertThat(node.send("GET", "/v1/kv/fo/w", null).statusCode()).isEqualTo(404);
    }
  }

  /**
   * With session calls (the default) the client opens its session when it is built: a node that
   * refuses it (503) is left for the next one at once, and requests go as calls to the node that
   * answers, without a request to the refusing one.
   */
  @Test
  void aNodeThatRefusesTheSessionIsLeftBeforeTheFirstRequestAndCallsGoToTheNext() {
    node.send("PUT", "/v1/kv/fo/calls", "y");
    try (CairnClient c = CairnClient.connect(unavailableUrl(), node.url())) {
      int before = refused.get();
      long calls = c.transport().sentAsCalls.sum();
      assertThat(c.kv().blocking().get("fo/calls").orElseThrow().value())
          .isEqualTo(Bytes.utf8("y"));
      c.kv().blocking().put("fo/calls2", "z");
      assertThat(refused.get()).isEqualTo(before);
      assertThat(c.transport().sentAsCalls.sum()).isEqualTo(calls + 2);
      assertThat(node.send("GET", "/v1/kv/fo/calls2", null).body()).contains("\"z\"");
    }
  }

  @Test
  void withEveryEndpointDownARequestFailsAsUnavailableAfterBoundedRetries() {
    String down1 = "http://127.0.0.1:" + Node.freePort();
    String down2 = "http://127.0.0.1:" + Node.freePort();
    try (CairnClient c = CairnClient.builder().endpoints(down1, down2).maxAttempts(4).build()) {
      assertThatThrownBy(() -> c.kv().blocking().get("fo/x"))
          .isInstanceOf(UnavailableException.class)
          .hasMessageContaining("4 attempts");
    }
  }
}
