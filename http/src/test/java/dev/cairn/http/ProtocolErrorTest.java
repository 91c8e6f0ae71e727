package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests too malformed for {@link java.net.http.HttpClient} to send, written on a raw socket:
 * Pekko refuses them before the API sees them, and they still get problem+json with a code.
 */
@ExtendWith(SharedServer.class)
class ProtocolErrorTest {
  private static TestServer s;

  @BeforeAll
  static void server(TestServer server) {
    s = server;
  }

  /** Status, headers and body of a raw exchange that ends with the connection closing. */
  record Raw(int status, String head, byte[] body) {
    String contentType() {
      for (String line : head.split("\r\n")) {
        if (line.regionMatches(true, 0, "Content-Type:", 0, 13)) {
          return line.substring(13).trim();
        }
      }
      return "";
    }

    JsonNode json() throws IOException {
      return TestServer.JSON.readTree(body);
    }
  }

  static Raw raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) {
        all.write(buf, 0, n);
      }
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      assertThat(end).as("a response head in %s", text).isPositive();
      String head = text.substring(0, end);
      int status = Integer.parseInt(head.substring(9, 12));
      byte[] body = text.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
      return new Raw(status, head, body);
    }
  }

  static List<String[]> malformed() {
    String close = "Host: x\r\nConnection: close\r\n\r\n";
    return List.of(
        new String[] {
          "bad percent-escape", "GET /v1/kv/%zz HTTP/1.1\r\n" + close, "400", "malformed_request"
        },
        new String[] {
          "bad percent-escape in the query",
          "GET /v1/kv/a?limit=%zz HTTP/1.1\r\n" + close,
          "400",
          "malformed_request"
        },
        new String[] {
          "illegal character in the path",
          "GET /v1/kv/a|b HTTP/1.1\r\n" + close,
          "400",
          "malformed_request"
        },
        new String[] {
          "control character in a header",
          "GET /v1/kv/a HTTP/1.1\r\nIf-Match: \u0001\r\n" + close,
          "400",
          "malformed_request"
        },
        new String[] {
          "unknown method", "BREW /v1/kv/a HTTP/1.1\r\n" + close, "501", "method_not_allowed"
        },
        new String[] {
          "URI over 32k",
          "GET /v1/kv/" + "k".repeat(40_000) + " HTTP/1.1\r\n" + close,
          "414",
          "malformed_request"
        },
        new String[] {
          "bad Content-Length",
          "PUT /v1/kv/a HTTP/1.1\r\nContent-Length: x\r\n" + close,
          "400",
          "malformed_request"
        },
        new String[] {
          "HTTP/2.0 request line", "GET /v1/kv/a HTTP/2.0\r\n" + close, "505", "malformed_request"
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsGetProblemJson(String name, String request, String status, String code)
      throws IOException {
    JsonNode before = s.snapshot(null);
    Raw r = raw(request);
    assertThat(r.status()).as(name + ": " + r.head()).isEqualTo(Integer.parseInt(status));
    assertThat(r.contentType()).as(name).startsWith("application/problem+json");
    JsonNode p = r.json();
    assertThat(p.path("code").asText()).as(name).isEqualTo(code);
    assertThat(p.path("status").asInt()).isEqualTo(r.status());
    assertThat(p.path("type").asText()).isEqualTo("urn:cairn:problem:" + code);
    assertThat(s.snapshot(null)).isEqualTo(before);
  }

  @Test
  void aKeyAtTheLimitFitsInTheUri() throws IOException {
    // 4096 bytes of key, every byte percent-encoded: 12 KiB of path.
    String key = "%C3%A9".repeat(2048);
    JsonNode put = s.put("/v1/kv/" + key, "wide").ok();
    assertThat(put.path("kv").path("key").asText()).hasSize(2048);
    assertThat(s.get("/v1/kv/" + key).ok().path("kv").path("value").asText()).isEqualTo("wide");
    String end = "%C3%A9".repeat(2047) + "%C3%AA"; // also 4096 bytes, just after the key
    assertThat(s.get("/v1/kv/" + key + "?range_end=" + end).ok().path("count").asLong())
        .isEqualTo(1);
    assertThat(s.delete("/v1/kv/" + key).ok().path("deleted").asLong()).isEqualTo(1);
  }

  @Test
  void aWellFormedRawRequestIsServed() throws IOException {
    Raw r = raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("application/json");
    // An absolute-form request target routes like the origin form.
    s.putKv(null, "raw/abs", "v");
    Raw abs = raw("GET http://x/v1/kv/raw/abs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(abs.status()).isEqualTo(200);
    assertThat(abs.json().path("kv").path("value").asText()).isEqualTo("v");
  }
}
