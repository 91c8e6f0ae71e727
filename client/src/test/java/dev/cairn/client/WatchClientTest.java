package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Watches against a real node: delivery in order, resumption after the session's connection is
 * killed (no gap, no duplicate), and a compacted resume point as a typed error.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WatchClientTest extends OneNodeTest {
  /** Events seen by a listener, in order. */
  static final class Seen implements WatchListener {
    final List<WatchEvent> events = new ArrayList<>();
    final CompletableFuture<CairnClientException> error = new CompletableFuture<>();

    @Override
    public synchronized void onEvent(WatchEvent e) {
      events.add(e);
    }

    @Override
    public void onError(CairnClientException e) {
      error.complete(e);
    }

    synchronized int size() {
      return events.size();
    }

    synchronized List<WatchEvent> copy() {
      return List.copyOf(events);
    }
  }

  @Test
  void watchFromNowSeesLaterChangesInOrder() {
    Seen seen = new Seen();
    Watch w = cairn.watch("w/one", 0, seen);
    // Nothing tells when the watch from "now" is registered: write until the first one arrives.
    Node.await(
        Duration.ofSeconds(30),
        "the first event",
        () -> {
          cairn.kv().blocking().put("w/one", "probe");
          return seen.size() > 0;
        });
    cairn.kv().blocking().put("w/one", "last");
    cairn.kv().blocking().delete("w/one");
    Node.await(
        Duration.ofSeconds(30),
        "the delete",
        () -> seen.copy().stream().anyMatch(e -> e.type() == WatchEvent.Type.DELETE));
    List<WatchEvent> got = seen.copy();
    assertThat(got.get(got.size() - 2).kv().value().utf8String()).isEqualTo("last");
    assertRevisionsIncrease(got);
    w.cancel();
  }

  @Test
  void resumesAfterTheConnectionIsKilledWithNoGapAndNoDuplicate() throws Exception {
    long start = cairn.kv().blocking().put("w/res/start", "s").revision();
    Seen seen = new Seen();
    cairn.watchPrefix("w/res/", start, seen);
    int writes = 300;
    List<Long> written = new ArrayList<>();
    written.add(start);
    for (int i = 0; i < writes; i++) {
      written.add(cairn.kv().blocking().put("w/res/k" + (i % 7), "v" + i).revision());
      if (i % 60 == 30) {
        cairn.dropSession(); // as if the network failed
      }
    }
    Node.await(Duration.ofSeconds(60), "every event", () -> seen.size() >= written.size());
    List<Long> delivered = seen.copy().stream().map(WatchEvent::revision).toList();
    assertThat(delivered).containsExactlyElementsOf(written);
  }

  @Test
  void aCompactedStartIsATypedError() throws Exception {
    long first = cairn.kv().blocking().put("w/compact", "a").revision();
    long later = cairn.kv().blocking().put("w/compact", "b").revision();
    node.send("POST", "/v1/compact", "{\"revision\":" + later + "}");
    Seen seen = new Seen();
    cairn.watch("w/compact", first, seen);
    CairnClientException e = seen.error.get(60, TimeUnit.SECONDS);
    assertThat(e).isInstanceOf(CompactedException.class);
    assertThat(e.code()).isEqualTo("compacted");
    assertThat(((CompactedException) e).compactRevision()).isEqualTo(later);
    assertThat(seen.size()).isZero();
  }

  @Test
  void cancelStopsDelivery() {
    Seen seen = new Seen();
    Watch w = cairn.watch("w/cancel", cairn.kv().blocking().put("w/cancel", "0").revision(), seen);
    Node.await(Duration.ofSeconds(30), "the first event", () -> seen.size() == 1);
    w.cancel();
    cairn.kv().blocking().put("w/cancel", "1");
    // A second watch sees the write: by then the first would have seen it too.
    Seen other = new Seen();
    cairn.watch("w/cancel", 1, other);
    Node.await(Duration.ofSeconds(30), "the second watch", () -> other.size() == 2);
    assertThat(seen.size()).isEqualTo(1);
    assertThat(Bytes.utf8("1")).isEqualTo(other.copy().get(1).kv().value());
  }

  static void assertRevisionsIncrease(List<WatchEvent> events) {
    for (int i = 1; i < events.size(); i++) {
      assertThat(events.get(i).revision()).isGreaterThan(events.get(i - 1).revision());
    }
  }
}
