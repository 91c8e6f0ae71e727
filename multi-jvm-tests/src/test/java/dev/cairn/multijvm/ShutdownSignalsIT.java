package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM tells watch clients to resume elsewhere: a server-sent-event stream gets a last {@code
 * event: shutdown} with the revision to resume after (and that revision as its id, for {@code
 * Last-Event-ID}), then its end; a WebSocket gets close code 1001 "going away". Real server
 * process, real sockets.
 */
class ShutdownSignalsIT {

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void sigtermSendsSseAFinalShutdownEventAndWebSocketsCloseGoingAway() throws Exception {
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, "shutdown-signals-");
    try (CairnProcess server =
            CairnProcess.start(
                dir.resolve("data"),
                dir.resolve("server.log"),
                Duration.ofSeconds(120),
                List.of());
        RawSocket sse = new RawSocket(server.port());
        RawSocket ws = new RawSocket(server.port());
        RawSocket writer = new RawSocket(server.port())) {
      for (int i = 0; i < 3; i++) {
        assertThat(writer.put("/v1/kv/sd/k" + i, "v").status()).isEqualTo(200);
      }
      assertThat(sse.openEvents("/v1/watch/sd/?prefix=true&start_revision=1").status())
          .isEqualTo(200);
      assertThat(ws.openWebSocket("/v1/watch").status()).isEqualTo(101);
      long lastPut = 0;
      for (int seen = 0; seen < 3; ) {
        String l = sse.line();
        if (l.startsWith("id: ")) {
          lastPut = Long.parseLong(l.substring(4));
          seen++;
        }
      }

      Integer exit = server.terminate(Duration.ofSeconds(60));
      assertThat(exit).as("exit code after SIGTERM; output:%n%s", server.tail(40)).isNotNull();

      List<String> tail = new ArrayList<>();
      for (String l = sse.line(); l != null; l = sse.line()) {
        tail.add(l);
      }
      assertThat(tail).as("the SSE stream's last lines").contains("event: shutdown");
      int at = tail.indexOf("event: shutdown");
      assertThat(tail.get(at - 1)).isEqualTo("id: " + lastPut);
      assertThat(tail.get(at + 1)).isEqualTo("data: {\"revision\":" + lastPut + "}");

      assertThat(ws.readCloseFrame()).isEqualTo("1001 going away");
      assertThat(server.output()).contains("told 2 watch connections to resume elsewhere");
    }
  }
}
