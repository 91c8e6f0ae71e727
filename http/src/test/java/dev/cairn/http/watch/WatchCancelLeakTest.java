package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.actors.watch.WatchHubs;
import dev.cairn.http.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A watch cancelled right after its create, while writes are in flight (its registration waits for
 * them in the leader), leaves nothing behind in the hub.
 */
@Timeout(180)
class WatchCancelLeakTest {
  @RegisterExtension static final TestServer node = TestServer.perClass();

  private static long hubSubscriptions() {
    return WatchHubs.get(node.server().system()).subscriptions();
  }

  @Test
  void watchesCancelledDuringSustainedWritesLeaveNoSubscriptionInTheHub() throws Exception {
    int watches = 300;
    WriteLoad load = new WriteLoad(node, "leak/busy/", 100, 8, 1_000_000, 7, 16);
    try (WsClient ws = WsClient.connect(node)) {
      load.start();
      TestServer.await(Duration.ofSeconds(60), "writes to flow", () -> load.done() > 200);
      for (int id = 1; id <= watches; id++) {
        // Nobody writes this key: only the cancel can take the watch out of the hub.
        ws.send(WsClient.create(id, "leak/quiet", ""));
        ws.send("{\"cancel\":{\"watch_id\":" + id + "}}");
      }
      ws.expect("the last cancel", Duration.ofSeconds(60), WsClient.canceled(watches));
      int writesAtLastCancel = load.done();
      TestServer.await(
          Duration.ofSeconds(60),
          "the hub to hold no subscription (holds " + hubSubscriptions() + ")",
          () -> hubSubscriptions() == 0 && load.done() > writesAtLastCancel + 200);
      assertThat(hubSubscriptions()).isZero();
      assertThat(ws.isClosed()).as("the connection stays open").isFalse();
    } finally {
      load.stop();
    }
  }
}
