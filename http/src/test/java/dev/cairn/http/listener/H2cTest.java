package dev.cairn.http.listener;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/2 over cleartext beside HTTP/1.1 on the client port, with real clients: {@code
 * java.net.http} with {@code HTTP_2} (which asks with {@code Upgrade: h2c}), curl with {@code
 * --http2-prior-knowledge}, and on the same port HTTP/1.1 requests and a WebSocket watch.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class H2cTest {
  @RegisterExtension static final TestServer node = TestServer.perClass(Map.of());

  private static final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  private static HttpClient http2() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .executor(pool)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void javaHttp2ClientUpgradesAndMultiplexesOnOneConnection() throws Exception {
    HttpClient c = http2();
    HttpResponse<String> first =
        c.send(
            HttpRequest.newBuilder(URI.create(node.url() + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);

    List<CompletableFuture<HttpResponse<String>>> puts = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      puts.add(
          c.sendAsync(
              HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/h2c-mux/k" + i))
                  .PUT(HttpRequest.BodyPublishers.ofString("v" + i))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> p : puts) {
      HttpResponse<String> r = p.get(60, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }
    HttpResponse<String> range =
        c.send(
            HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/h2c-mux/?prefix=true")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(range.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(TestServer.JSON.readTree(range.body()).get("count").asLong()).isEqualTo(50);

    HttpResponse<String> missing =
        c.send(
            HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/h2c/absent")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(missing.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(TestServer.JSON.readTree(missing.body()).get("code").asText())
        .isEqualTo("key_not_found");
  }

  @Test
  void curlWithPriorKnowledgeSpeaksHttp2() throws Exception {
    Assumptions.assumeTrue(curlHasHttp2(), "curl with HTTP/2 support");
    node.putKey("h2c/prior", "known");
    assertThat(curl(node.url() + "/v1/kv/h2c/prior"))
        .contains("\"value\":\"known\"")
        .endsWith("\n2 200");
    assertThat(curl(node.url() + "/v1/kv/h2c/none")).contains("key_not_found").endsWith("\n2 404");
  }

  /** curl's output and, on its last line, the HTTP version and status. */
  private static String curl(String url) throws Exception {
    Process p =
        new ProcessBuilder(
                "curl",
                "-s",
                "--http2-prior-knowledge",
                "-w",
                "\n%{http_version} %{http_code}",
                url)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void http1AndWebSocketStillWorkOnTheSamePort() throws Exception {
    TestServer.Resp put = node.putKey("h2c/one", "1.1");
    put.ok();
    HttpResponse<String> r =
        node.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/h2c/one")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(r.body()).contains("\"value\":\"1.1\"");

    try (WsClient ws = WsClient.connect(node)) {
      ws.send("{\"create\": {\"key\": \"h2c/ws\", \"watch_id\": 1}}");
      ws.expect("created", m -> m.path("created").asBoolean());
      node.putKey("h2c/ws", "seen").ok();
      JsonNode ev = ws.expect("an event", m -> m.has("events"));
      assertThat(ev.get("events").get(0).get("kv").get("value").asText()).isEqualTo("seen");
    }
  }

  private static boolean curlHasHttp2() {
    try {
      Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(10, TimeUnit.SECONDS) && v.contains("HTTP2");
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
