package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.http.TestServer;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A watch connection refused at {@code cairn.watch.max-connections} is answered 503 {@code
 * too_many_connections}, counted in {@code /metrics} and logged as a rate-limited WARN line.
 */
@Timeout(120)
class WatchConnectionRefusedTest {
  private static final int REFUSED_SSE = 20;
  private static final Pattern LINE =
      Pattern.compile(
          "watch connection from 127\\.0\\.0\\.1:\\d+ refused: 1 open, the limit"
              + " \\(cairn\\.watch\\.max-connections\\); (\\d+) refused since the last such line");

  @Test
  void aRefusedWatchConnectionIsAnswered503CountedAndLogged() {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Logger watchApi = (Logger) LoggerFactory.getLogger(WatchApi.class);
    watchApi.addAppender(logged);
    try (TestServer node = TestServer.start(Map.of("cairn.watch.max-connections", 1));
        WsClient holder = WsClient.connect(node)) {
      assertThat(refusedCounter(node)).isZero();
      long t0 = System.nanoTime();

      try (WsClient extra = WsClient.connect(node)) {
        fail("a WebSocket beyond cairn.watch.max-connections was accepted");
      } catch (IllegalStateException e) {
        assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
            .isEqualTo(503);
      }
      for (int i = 0; i < REFUSED_SSE; i++) {
        try (SseClient refused = SseClient.open(node, "/v1/watch/refused/k")) {
          assertThat(refused.status()).isEqualTo(503);
          assertThat(refused.contentType()).startsWith("application/problem+json");
          assertThat(TestServer.JSON.readTree(refused.errorBody()).path("code").asText())
              .isEqualTo("too_many_connections");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
      long seconds = Duration.ofNanos(System.nanoTime() - t0).toSeconds();

      int refusals = 1 + REFUSED_SSE;
      assertThat(refusedCounter(node)).isEqualTo(refusals);
      List<ILoggingEvent> lines =
          List.copyOf(logged.list).stream()
              .filter(e -> LINE.matcher(e.getFormattedMessage()).find())
              .toList();
      assertThat(lines).as("refusal lines").isNotEmpty();
      assertThat(lines).allMatch(e -> e.getLevel() == Level.WARN);
      assertThat(LINE.matcher(lines.get(0).getFormattedMessage()).results().findFirst())
          .hasValueSatisfying(m -> assertThat(m.group(1)).isEqualTo("1"));
      // At most one line a second, each counting the refusals since the previous one.
      assertThat(lines.size()).as("lines in %d s", seconds).isLessThanOrEqualTo(1 + (int) seconds);
      long told =
          lines.stream()
              .map(e -> LINE.matcher(e.getFormattedMessage()))
              .filter(Matcher::find)
              .mapToLong(m -> Long.parseLong(m.group(1)))
              .sum();
      assertThat(told).isBetween((long) lines.size(), (long) refusals);

      // The held connection still works.
      holder.send("{\"heartbeat\":{}}");
      holder.expect("heartbeat", WsClient.has("heartbeat"));
    } finally {
      watchApi.detachAppender(logged);
    }
  }

  private static double refusedCounter(TestServer node) {
    Matcher m =
        Pattern.compile("(?m)^cairn_watch_connections_refused_total ([0-9.E]+)$")
            .matcher(node.get("/metrics").text());
    assertThat(m.find()).as("cairn_watch_connections_refused_total in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }
}
