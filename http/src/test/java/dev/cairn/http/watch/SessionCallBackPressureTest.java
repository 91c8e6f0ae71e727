package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that sends calls and never reads their replies costs the server bounded memory: the
 * replies wait in the socket's queue and then among the connection's held-back control messages,
 * and one beyond {@code cairn.watch.max-pending-per-watch} ends the connection, as for any session
 * message the client does not read.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SessionCallBackPressureTest {
  @RegisterExtension static final TestServer node = TestServer.perClass(limits());

  private static Map<String, Object> limits() {
    Map<String, Object> m = new HashMap<>(WsClient.heldBackLimits(16, "16MiB"));
    m.put("cairn.watch.max-calls-per-connection", 64);
    return m;
  }

  private static double openConnections() {
    Matcher m =
        Pattern.compile("(?m)^cairn_watch_connections ([0-9.E]+)$")
            .matcher(node.get("/metrics").text());
    assertThat(m.find()).as("cairn_watch_connections in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void aClientThatSendsCallsAndNeverReadsTheRepliesIsLetGo() {
    // Replies of about 900 kB: the socket's kernel buffers fill after a few of them.
    assertThat(node.putKey("cbp/big", "x".repeat(900_000)).status()).isEqualTo(200);
    try (WsClient s = WsClient.connect(node)) {
      TestServer.await(
          Duration.ofSeconds(30), "the session to count", () -> openConnections() == 1);
      s.pause();
      int sent = 0;
      try {
        for (int i = 1; i <= 2_000 && openConnections() > 0; i++) {
          s.sendAsync(
                  "{\"call\":{\"id\":" + i + ",\"method\":\"GET\",\"path\":\"/v1/kv/cbp/big\"}}")
              .get(30, TimeUnit.SECONDS);
          sent = i;
        }
      } catch (Exception closedMeanwhile) {
        // the server let go of the connection while calls were still being sent
      }
      int total = sent;
      TestServer.await(
          Duration.ofSeconds(60),
          "the connection to be let go (" + total + " calls sent)",
          () -> openConnections() == 0);
      assertThat(sent).as("calls sent before the server let go").isLessThan(2_000);
    }
  }
}
