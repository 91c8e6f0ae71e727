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
 * body whole (no stream to collect it); one over the limit is refused with nothing written.
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

  @Test
  void aWholeBodyAtTheLimitIsTaken() throws IOException {
    assertThat(putInOnePiece("/v1/kv/limit/at", 1024)).startsWith("HTTP/1.1 200");
    assertThat(s.get("/v1/kv/limit/at").ok().path("kv").path("value").asText()).hasSize(1024);
  }
}
