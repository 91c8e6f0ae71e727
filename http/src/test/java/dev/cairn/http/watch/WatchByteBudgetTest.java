package dev.cairn.http.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-connection byte budget for held-back messages cancels a non-reading client's watch with
 * slow_consumer even when the per-watch message count is far from its limit.
 */
class WatchByteBudgetTest {
  @RegisterExtension
  static final TestServer node = TestServer.perClass(WsClient.heldBackLimits(1_000_000, "256KiB"));

  @Test
  void aConnectionOverItsByteBudgetHasItsWatchCancelledAsSlow() throws Exception {
    long seed = Long.getLong("cairn.test.seed", System.nanoTime());
    Random random = new Random(seed);
    String prefix = "budget/";
    long from = node.revision() + 1;
    try (WsClient slow = WsClient.connect(node)) {
      slow.send(WsClient.createPrefix(1, prefix, from));
      slow.expect("created", WsClient.created(1));
      slow.pause();
      // 300 changes of 32 KiB: ~10 MB, far beyond the 256 KiB budget plus socket buffers, while
      // the count (300 messages) stays far below max-pending-per-watch.
      WriteLoad load = new WriteLoad(node, prefix, 50, 4, 300, random.nextLong(), 32 * 1024);
      load.start().join(120_000);
      assertThat(node.putKey("budget-after", "x").status()).as("seed %d", seed).isEqualTo(200);
      slow.resume();
      JsonNode canceled =
          slow.expect("the slow_consumer cancel", Duration.ofSeconds(60), WsClient.canceled(1));
      assertThat(canceled.path("reason").asText())
          .as("seed %d: %s", seed, canceled)
          .isEqualTo("slow_consumer");
      assertThat(canceled.path("last_revision").asLong())
          .as("seed %d: resume point before the end", seed)
          .isLessThan(load.maxAckedRevision());
      assertThat(List.of(slow.isClosed())).containsExactly(false);
    }
  }
}
