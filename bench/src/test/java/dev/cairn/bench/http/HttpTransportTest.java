package dev.cairn.bench.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.bench.load.StubServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link HttpTransport}'s pooled calls against the stub server on an ephemeral port. */
@Timeout(60)
class HttpTransportTest {

  private static final Duration GENEROUS = Duration.ofSeconds(20);

  private StubServer stub;
  private HttpTransport transport;

  @BeforeEach
  void start() throws Exception {
    stub = new StubServer(0, 1);
    transport = new HttpTransport(URI.create(stub.url()), 1);
  }

  @AfterEach
  void stop() {
    transport.close();
    stub.close();
  }

  private HttpAnswer put(String key, String value) throws Exception {
    return transport.exchange(
        HttpCall.put("/v1/kv/" + key, value.getBytes(StandardCharsets.UTF_8), "text/plain"),
        GENEROUS);
  }

  @Test
  void pooledCallsGetTheirOwnAnswers() throws Exception {
    assertThat(put("a", "one").status()).isEqualTo(200);
    assertThat(put("b", "two").status()).isEqualTo(200);
    HttpAnswer a = transport.exchange(HttpCall.get("/v1/kv/a"), GENEROUS);
    HttpAnswer b = transport.exchange(HttpCall.get("/v1/kv/b"), GENEROUS);
    assertThat(a.status()).isEqualTo(200);
    assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("\"value\":\"one\"");
    assertThat(new String(b.body(), StandardCharsets.UTF_8)).contains("\"value\":\"two\"");
    assertThat(transport.exchange(HttpCall.get("/v1/kv/c"), GENEROUS).status()).isEqualTo(404);
  }

  @Test
  void aCallUnansweredInTimeFailsWithATimeoutAndLaterCallsStillWork() throws Exception {
    assertThat(put("a", "one").status()).isEqualTo(200);
    stub.delay(30_000);
    assertThatThrownBy(() -> transport.exchange(HttpCall.get("/v1/kv/a"), Duration.ofMillis(300)))
        .isInstanceOf(TimeoutException.class);
    stub.delay(0);
    assertThat(put("b", "two").status()).isEqualTo(200);
    HttpAnswer b = transport.exchange(HttpCall.get("/v1/kv/b"), GENEROUS);
    assertThat(b.status()).isEqualTo(200);
    assertThat(new String(b.body(), StandardCharsets.UTF_8)).contains("\"value\":\"two\"");
  }
}
