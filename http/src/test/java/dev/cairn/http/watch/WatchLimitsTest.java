package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** cairn.watch.max-watches-per-connection and cairn.watch.max-connections. */
class WatchLimitsTest {
  private static final int MAX_WATCHES = 3;
  private static final int MAX_CONNECTIONS = 3;

  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(
          Map.of(
              "cairn.watch.max-watches-per-connection", MAX_WATCHES,
              "cairn.watch.max-connections", MAX_CONNECTIONS,
              // An SSE client that drops its stream is noticed at the next write; keep that soon.
              "cairn.watch.progress-interval", "1s"));

  @Test
  void watchesBeyondTheLimitAreRefusedAndTheConnectionStaysUsable() {
    try (WsClient ws = connectWhenASlotIsFree()) {
      for (int i = 1; i <= MAX_WATCHES; i++) {
        ws.send("{\"create\":{\"watch_id\":" + i + ",\"key\":\"lim/" + i + "\"}}");
        ws.expect("created " + i, WsClient.created(i));
      }
      ws.send("{\"create\":{\"watch_id\":99,\"key\":\"lim/99\"}}");
      JsonNode err = ws.expect("too_many_watches", WsClient.error("too_many_watches"));
      assertThat(err.path("error").path("detail").asText()).isNotEmpty();
      // Without an explicit id too.
      ws.send("{\"create\":{\"key\":\"lim/x\"}}");
      ws.expect("too_many_watches again", WsClient.error("too_many_watches"));
      node.putKey("lim/99", "x");
      // Freeing a slot makes room; the refused watch never existed.
      ws.send("{\"cancel\":{\"watch_id\":2}}");
      ws.expect("canceled", WsClient.canceled(2));
      ws.send("{\"create\":{\"watch_id\":4,\"key\":\"lim/4\"}}");
      ws.expect("created 4", WsClient.created(4));
      long rev = node.putKey("lim/4", "y").revision();
      long rev1 = node.putKey("lim/1", "y").revision();
      ws.expect(
          "event on 4", m -> WsClient.events(4).test(m) && m.path("revision").asLong() == rev);
      ws.expect(
          "event on 1", m -> WsClient.events(1).test(m) && m.path("revision").asLong() == rev1);
      assertThat(ws.messages().stream().filter(m -> m.path("watch_id").asLong() == 99)).isEmpty();
    }
  }

  @Test
  void connectionsBeyondTheLimitGet503ForWebSocketAndSse() throws Exception {
    // Refused and malformed watch requests must not leak connection slots.
    for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
      assertThat(node.get("/v1/watch").status()).isEqualTo(400);
      assertThat(SseClient.open(node, "/v1/watch/k", "Last-Event-ID", "x").status()).isEqualTo(400);
    }
    List<AutoCloseable> open = new ArrayList<>();
    try {
      WsClient a = connectWhenASlotIsFree();
      open.add(a);
      WsClient b = connectWhenASlotIsFree();
      open.add(b);
      SseClient s = openSseWhenASlotIsFree("/v1/watch/conn/k");
      open.add(s);

      // WebSocket upgrade: the JDK client sees the 503 ...
      try {
        WsClient extra = WsClient.connect(node);
        open.add(extra);
        fail("a WebSocket beyond max-connections was accepted");
      } catch (IllegalStateException e) {
        assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
            .isEqualTo(503);
      }
      // ... and a raw upgrade request shows the problem+json body.
      RawResponse raw = rawUpgrade();
      assertThat(raw.status()).as(raw.toString()).isEqualTo(503);
      assertThat(raw.header("content-type"))
          .as(raw.toString())
          .startsWith("application/problem+json");
      JsonNode problem = TestServer.JSON.readTree(raw.body());
      assertThat(problem.path("code").asText()).isEqualTo("too_many_connections");
      assertThat(problem.path("status").asInt()).isEqualTo(503);

      SseClient refused = SseClient.open(node, "/v1/watch/conn/k");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.contentType()).startsWith("application/problem+json");
      assertThat(TestServer.JSON.readTree(refused.errorBody()).path("code").asText())
          .isEqualTo("too_many_connections");

      // The open ones still work.
      long rev = node.putKey("conn/k", "v").revision();
      s.expect(
          "event",
          Duration.ofSeconds(10),
          e -> e.id() != null && e.id().equals(Long.toString(rev)));
      a.send("{\"heartbeat\":{}}");
      a.expect("heartbeat", WsClient.has("heartbeat"));

      // Closing one (WebSocket) frees its slot, and so does dropping the SSE stream.
      b.close();
      open.add(connectWhenASlotIsFree());
      s.close();
      long closed = System.nanoTime();
      open.add(openSseWhenASlotIsFree("/v1/watch/conn/k"));
      System.out.printf(
          "a dropped SSE stream's slot was free after %d ms%n", TestServer.millisSince(closed));
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }

  /**
   * Clients that drop the connection (reset) right after asking for a WebSocket upgrade, before the
   * server's 101, must not keep their connection slots: every slot is free again soon after.
   * (Interleaving other requests hides the race, so these are back to back.)
   */
  @Test
  void upgradesAbandonedBeforeTheAnswerGiveTheirSlotsBack() throws Exception {
    for (int i = 0; i < 3 * MAX_CONNECTIONS; i++) {
      try (Socket s = new Socket("127.0.0.1", node.port())) {
        s.setSoLinger(true, 0); // reset, not a graceful close
        String request =
            "GET /v1/watch HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
      }
    }
    List<WsClient> clients = new ArrayList<>();
    try {
      long t0 = System.nanoTime();
      for (int i = 0; i < MAX_CONNECTIONS; i++) {
        clients.add(connectWhenASlotIsFree(Duration.ofSeconds(30)));
      }
      System.out.printf(
          "all slots free %d ms after the abandoned upgrades%n", TestServer.millisSince(t0));
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  /** Opens a WebSocket, retrying while the node still counts connections of earlier tests. */
  private static WsClient connectWhenASlotIsFree() {
    return connectWhenASlotIsFree(Duration.ofSeconds(10));
  }

  private static WsClient connectWhenASlotIsFree(Duration timeout) {
    WsClient[] out = {null};
    TestServer.await(
        timeout,
        "a free watch connection slot",
        () -> {
          try {
            out[0] = WsClient.connect(node);
            return true;
          } catch (IllegalStateException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h
                && h.getResponse().statusCode() == 503) {
              return false;
            }
            throw e;
          }
        });
    return out[0];
  }

  private static SseClient openSseWhenASlotIsFree(String path) {
    SseClient[] out = {null};
    TestServer.await(
        Duration.ofSeconds(10),
        "a free watch connection slot",
        () -> {
          out[0] = SseClient.open(node, path);
          assertThat(out[0].status()).isIn(200, 503);
          return out[0].status() == 200;
        });
    return out[0];
  }

  record RawResponse(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.getOrDefault(name, "");
    }
  }

  /** A WebSocket upgrade request on a plain socket, to read the refusal's body. */
  private static RawResponse rawUpgrade() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /v1/watch HTTP/1.1\r\n"
                  + "Host: 127.0.0.1:"
                  + node.port()
                  + "\r\n"
                  + "Upgrade: websocket\r\n"
                  + "Connection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  + "Sec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(
              lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              lines[i].substring(colon + 1).trim());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
    }
  }
}
