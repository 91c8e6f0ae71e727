package dev.cairn.http.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.http.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client listener's limit on open connections, over real sockets: every kind counts (keep-alive
 * HTTP, SSE, WebSocket); one more is refused at once with 503 too_many_connections and closed, but
 * a probe is still answered, on the main port and on the ops port; a client trickling its headers
 * is cut off; an idle connection is closed after the idle timeout.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConnectionLimitTest {
  private static final int LIMIT = 12;

  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(
          Map.of(
              "cairn.http.max-connections",
              LIMIT,
              "cairn.http.refusal-timeout",
              "2s",
              "cairn.http.header-timeout",
              "1s",
              "cairn.http.ops.port",
              0));

  @BeforeEach
  void noConnectionsLeft() {
    // Each test starts with none of the client listener's connections open (the last test's
    // sockets are closed by now, or soon).
    TestServer.await(Duration.ofSeconds(30), "no client connections", () -> metric("open") == 0);
  }

  @Test
  void connectionsOfAnyKindUpToTheLimitThenTheNextIsRefusedAtOnceAndProbesStillAnswer()
      throws Exception {
    List<RawConnection> raw = new ArrayList<>();
    List<WebSocket> sockets = new ArrayList<>();
    HttpClient wsClient = HttpClient.newHttpClient();
    try {
      for (int i = 0; i < 4; i++) {
        RawConnection c = new RawConnection(node.port());
        assertThat(c.get("/health").status()).isEqualTo(200); // keep-alive, then idle
        raw.add(c);
      }
      for (int i = 0; i < 4; i++) {
        RawConnection c = new RawConnection(node.port());
        c.send("GET /v1/watch/limit/k" + i + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        RawConnection.Response head = c.readHead();
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headers().get("content-type")).startsWith("text/event-stream");
        raw.add(c);
      }
      for (int i = 0; i < 4; i++) {
        sockets.add(
            wsClient
                .newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + node.port() + "/v1/watch"), listener())
                .get(30, TimeUnit.SECONDS));
      }
      TestServer.await(Duration.ofSeconds(30), "12 connections open", () -> metric("open") == 12);
      double refusedBefore = metric("refused");

      // One more: refused at once with a problem, and closed.
      long t0 = System.nanoTime();
      try (RawConnection c = new RawConnection(node.port())) {
        RawConnection.Response r = c.get("/v1/kv/limit/x");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.headers().get("content-type")).startsWith("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"too_many_connections\"");
        assertThat(r.headers().get("connection")).isEqualTo("close");
        assertThat(r.headers()).containsKey("retry-after");
        assertThat(c.closedByServer(10_000)).isTrue();
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));

      // A probe on a fresh connection at the limit is answered, then its connection closed.
      try (RawConnection c = new RawConnection(node.port())) {
        RawConnection.Response r = c.get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("connection")).isEqualTo("close");
        assertThat(c.closedByServer(10_000)).isTrue();
      }
      // A connection that sends nothing is closed after the refusal timeout, not held.
      try (RawConnection c = new RawConnection(node.port())) {
        assertThat(c.closedByServer(20_000)).isTrue();
      }
      // The ops listener answers whatever the client listener holds.
      try (RawConnection c = new RawConnection(node.server().opsPort())) {
        assertThat(c.get("/health").status()).isEqualTo(200);
        assertThat(c.get("/ready").status()).isEqualTo(200);
        assertThat(c.get("/v1/kv/limit/x").status()).isEqualTo(404);
      }
      assertThat(metric("refused")).isGreaterThanOrEqualTo(refusedBefore + 3);
      assertThat(metric("limit")).isEqualTo(LIMIT);

      // The connections held are served as before.
      RawConnection first = raw.get(0);
      first.send("PUT /v1/kv/limit/y HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nv");
      assertThat(first.readResponse().status()).isEqualTo(200);
    } finally {
      for (RawConnection c : raw) {
        c.close();
      }
      for (WebSocket w : sockets) {
        w.abort();
      }
    }
    // Below the limit again: a new connection is served.
    TestServer.await(Duration.ofSeconds(30), "connections closed", () -> metric("open") == 0);
    try (RawConnection c = new RawConnection(node.port())) {
      assertThat(c.get("/v1/kv/limit/y").status()).isEqualTo(200);
    }
  }

  @Test
  void aClientTricklingItsHeadersIsCutOffButAnIdleKeepAliveConnectionIsNot() throws Exception {
    double before = closed("header_timeout");
    try (RawConnection idle = new RawConnection(node.port());
        RawConnection slow = new RawConnection(node.port())) {
      assertThat(idle.get("/health").status()).isEqualTo(200);

      slow.send("GET /health HTTP/1.1\r\nHost: localhost\r\n");
      Thread trickler =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 600; i++) {
                    slow.send("X-Slow-" + i + ": 1\r\n");
                    Thread.sleep(100); // the trickle itself: one header line per 100 ms
                  }
                } catch (IOException | InterruptedException e) {
                  // closed by the server, as it should be
                }
              });
      trickler.setDaemon(true);
      long t0 = System.nanoTime();
      trickler.start();
      assertThat(slow.closedByServer(30_000)).isTrue();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      // The header timeout is 1 s; the idle timeout (120 s) never comes into it, as bytes keep
      // arriving.
      assertThat(took).isLessThan(Duration.ofSeconds(20));
      trickler.interrupt();

      // Longer than the header timeout between requests: an idle keep-alive connection is fine.
      Thread.sleep(1500); // time passing is the point here, not synchronisation
      assertThat(idle.get("/health").status()).isEqualTo(200);
    }
    assertThat(closed("header_timeout")).isGreaterThan(before);
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (TestServer s = TestServer.start(Map.of("cairn.http.idle-timeout", "2s"));
        RawConnection c = new RawConnection(s.port())) {
      assertThat(c.get("/health").status()).isEqualTo(200);
      long t0 = System.nanoTime();
      assertThat(c.closedByServer(30_000)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(1500));
    }
  }

  // ---------------------------------------------------------------- helpers

  private static WebSocket.Listener listener() {
    return new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        ws.request(1);
        return null;
      }
    };
  }

  /** {@code cairn_http_connections_<name>} of the client listener, read on the ops port. */
  static double metric(String name) {
    return value(
        "cairn_http_connections_"
            + name
            + (name.equals("refused") ? "_total" : "")
            + "\\{listener=\"client\",?\\} ([0-9.E]+)");
  }

  static double closed(String reason) {
    return value(
        "cairn_http_connections_closed_total\\{listener=\"client\",reason=\""
            + reason
            + "\",?\\} ([0-9.E]+)");
  }

  private static double value(String regex) {
    try (RawConnection c = new RawConnection(node.server().opsPort())) {
      String text = c.get("/metrics").body();
      Matcher m = Pattern.compile(regex).matcher(text);
      if (!m.find()) {
        throw new AssertionError("no " + regex + " in /metrics");
      }
      return Double.parseDouble(m.group(1));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
