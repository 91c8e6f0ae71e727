package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.http.listener.FileDescriptors;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The log is an operator's tool: a client's mistake that is answered (a malformed header, a request
 * too broken to parse) writes no WARN line; a descriptor limit too low for the configured
 * connections does, once, at start.
 */
class LogNoiseTest {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void capture() {
    appender.start();
    root.addAppender(appender);
  }

  @AfterEach
  void release() {
    root.detachAppender(appender);
  }

  @Test
  void clientMistakesAnsweredWith400WriteNoWarnLine() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.put("/v1/kv/noise/k", "v", "If-Match", "not-an-etag").problem(400, "malformed_request");
      s.put("/v1/kv/noise/k", "v", "If-None-Match", "\"").assertProblemShape();
      try (Socket raw = new Socket("127.0.0.1", s.port())) {
        OutputStream out = raw.getOutputStream();
        out.write(
            "GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = raw.getInputStream();
        String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        assertThat(status).startsWith("HTTP/1.1 4");
      }
      // Pekko logs through an actor: a marker logged after the requests arrives after their lines.
      s.server().system().log().warning("log-noise-marker");
      TestServer.await(
          Duration.ofSeconds(30), "the marker", () -> warnings().contains("log-noise-marker"));
      assertThat(warnings()).isEqualTo("log-noise-marker");
    }
  }

  @Test
  void aDescriptorLimitTooLowForTheConnectionsIsSaidAtStartAndTheLimitLowered() {
    long fds = FileDescriptors.limit().orElseThrow();
    try (TestServer s = TestServer.start(Map.of("cairn.http.max-connections", 10_000_000))) {
      int reserved = 1024 + 256; // reserved-file-descriptors + max-refusing-connections
      assertThat(s.server().maxConnections()).isEqualTo((int) (fds - reserved));
      assertThat(warnings())
          .contains("file descriptor limit " + fds + " is too low for cairn.http.max-connections")
          .contains("serving at most " + (fds - reserved) + " connections");
      s.get("/health").ok();
    }
  }

  private String warnings() {
    List<ILoggingEvent> events = List.copyOf(appender.list);
    return events.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage)
        .collect(Collectors.joining("\n"));
  }
}
