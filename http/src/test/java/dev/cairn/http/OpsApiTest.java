package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer.Resp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /health}, {@code /ready}, {@code /metrics} and {@code /v1/openapi.yaml}. */
@ExtendWith(SharedServer.class)
class OpsApiTest {
  private static TestServer s;

  @BeforeAll
  static void server(TestServer server) {
    s = server;
  }

  @Test
  void healthAndReady() {
    assertThat(s.get("/health").ok().path("status").asText()).isEqualTo("ok");
    Resp ready = s.get("/ready");
    JsonNode r = ready.ok();
    assertThat(r.path("status").asText()).isEqualTo("ready");
    // Every namespace's leader answered the probe, default's at least.
    assertThat(r.path("namespaces").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(ready.header("X-Cairn-Revision")).contains(r.path("revision").asText());
    assertThat(s.send("HEAD", "/health", (byte[]) null).status()).isEqualTo(200);
  }

  @Test
  void metricsArePrometheusTextWithHttpAndJournalMeters() {
    s.putKv(null, "ops/metrics", "v");
    s.get("/v1/kv/ops/metrics").ok();
    Resp m = s.get("/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.contentType()).startsWith("text/plain");
    String text = m.text();
    assertThat(text).contains("# TYPE cairn_http_requests_seconds");
    assertThat(text)
        .containsPattern(
            "cairn_http_requests_seconds_count\\{[^}]*method=\"PUT\"[^}]*status=\"200\"");
    assertThat(text).contains("cairn_journal_force");
    assertThat(text).contains("cairn_journal_batch_events");
    assertThat(text).contains("jvm_memory_used_bytes");
  }

  @Test
  void openapiDocumentIsServed() {
    Resp y = s.get("/v1/openapi.yaml");
    assertThat(y.status()).isEqualTo(200);
    assertThat(y.contentType()).startsWith("application/yaml");
    assertThat(y.text()).startsWith("openapi: 3.0");
    assertThat(y.text()).contains("/v1/kv/{key}");
  }

  @Test
  void opsRoutesAreReadOnly() {
    for (String path : new String[] {"/health", "/ready", "/metrics", "/v1/openapi.yaml"}) {
      for (String method : new String[] {"POST", "PUT", "DELETE"}) {
        s.send(method, path, "x").problem(405, "method_not_allowed");
      }
      s.send("GET", path, "a body").problem(400, "malformed_request");
    }
  }
}
