package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The server's body limit on a small limit. A request written in one piece reaches the API with its
 * body whole (no stream to collect it); one over the limit is refused with nothing written. A
 * DELETE's body means nothing but is read like any other: under the same limit, and to its end
 * before the answer, so that a slow client keeps its connection.
 */
class BodyLimitTest {
  @RegisterExtension
  static final TestServer s = TestServer.perClass(Map.of("cairn.http.max-body-size", "1KiB"));

  /** Writes a PUT, headers and body, in one write on a fresh connection; returns the response. */
  private static String putInOnePiece(String path, int bodyBytes) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(10_000);
      String head =
          "PUT "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
              + "Connection: close\r\nContent-Length: "
              + bodyBytes
              + "\r\n\r\n";
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      request.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
      request.writeBytes("z".repeat(bodyBytes).getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(request.toByteArray());
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aWholeBodyOverTheLimitIsRefusedAndNothingIsWritten() throws IOException {
    long before = s.revision();
    String response = putInOnePiece("/v1/kv/limit/k", 2048);
    assertThat(response).startsWith("HTTP/1.1 413").contains("payload_too_large");
    assertThat(s.revision()).isEqualTo(before);
    s.get("/v1/kv/limit/k").problem(404, "key_not_found");
  }

  /** Reads one response (status line, headers, Content-Length body) from {@code in}. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after: " + head);
      }
      head.write(b);
    }
    String headers = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  @Test
  void aDeleteBodyIsReadBeforeTheAnswerSoTheConnectionStaysUsable() throws Exception {
    s.putKey("limit/del", "v");
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      out.write(
          ("DELETE /v1/kv/limit/del HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // A slow client: the delete itself is done long before its (meaningless) body has arrived.
      for (int i = 0; i < 4; i++) {
        Thread.sleep(50);
        out.write("x".repeat(250).getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      out.write(
          "GET /v1/kv/limit/del HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("\"deleted\":1");
      // The same connection answers the next request.
      assertThat(readResponse(in)).startsWith("HTTP/1.1 404").contains("key_not_found");
    }
  }

  @Test
  void aDeleteBodyOverTheLimitIsRefusedAndNothingIsDeleted() throws IOException {
    s.putKey("limit/keep", "v");
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("DELETE /v1/kv/limit/keep HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      + "Content-Length: 2048\r\n\r\n"
                      + "x".repeat(2048))
                  .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 413").contains("payload_too_large");
    }
    assertThat(s.get("/v1/kv/limit/keep").ok().path("kv").path("value").asText()).isEqualTo("v");
  }

  @Test
  void aWholeBodyAtTheLimitIsTaken() throws IOException {
    assertThat(putInOnePiece("/v1/kv/limit/at", 1024)).startsWith("HTTP/1.1 200");
    assertThat(s.get("/v1/kv/limit/at").ok().path("kv").path("value").asText()).hasSize(1024);
  }
}
