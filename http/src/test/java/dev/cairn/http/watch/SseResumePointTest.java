package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.SharedServer;
import dev.cairn.http.TestServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A server-sent-event stream resumes from a point the client can have seen: {@code Last-Event-ID}
 * up to the head revision, {@code start_revision} up to the head + 1 (the next change). A point
 * after that is a client's mistake, answered 400 {@code future_revision} like a range read at a
 * future revision, not a stream that silently waits for revisions that may never come.
 */
@ExtendWith(SharedServer.class)
class SseResumePointTest {
  private static TestServer s;

  @BeforeAll
  static void server(TestServer server) {
    s = server;
  }

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void aResumePointAfterTheHeadRevisionIsRefusedWithFutureRevision() throws Exception {
    s.createNamespace("sse-future");
    s.putKv("sse-future", "k", "1");
    long head = s.putKv("sse-future", "k", "2").revision();
    String path = "/v1/ns/sse-future/watch/k";

    JsonNode p = problem(path, "Last-Event-ID", Long.toString(head + 1));
    assertThat(p.path("detail").asText())
        .isEqualTo("Last-Event-ID " + (head + 1) + " is after the current revision " + head);
    problem(path, "Last-Event-ID", (head + 90) + ".2");
    problem(path + "?start_revision=" + (head + 2), null, null);
    // The range API answers the same code for a future revision.
    s.get("/v1/ns/sse-future/kv/k?revision=" + (head + 1)).problem(400, "future_revision");

    assertThat(streamStatus(path, "Last-Event-ID", Long.toString(head))).isEqualTo(200);
    assertThat(streamStatus(path + "?start_revision=" + (head + 1), null, null)).isEqualTo(200);
    assertThat(streamStatus(path + "?start_revision=1", null, null)).isEqualTo(200);
  }

  private static JsonNode problem(String path, String header, String value) throws Exception {
    // The body as a stream: a server that accepts the resume point sends an endless one.
    HttpResponse<InputStream> r =
        s.client().send(request(path, header, value), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = r.body()) {
      assertThat(r.statusCode()).as("%s %s=%s", path, header, value).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type")).hasValue(TestServer.PROBLEM_JSON);
      JsonNode json = TestServer.JSON.readTree(body.readAllBytes());
      assertThat(json.path("code").asText()).isEqualTo("future_revision");
      return json;
    }
  }

  private static int streamStatus(String path, String header, String value) throws Exception {
    HttpResponse<InputStream> r =
        s.client().send(request(path, header, value), HttpResponse.BodyHandlers.ofInputStream());
    r.body().close();
    return r.statusCode();
  }

  private static HttpRequest request(String path, String header, String value) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30)).GET();
    if (header != null) {
      b.header(header, value);
    }
    return b.build();
  }
}
