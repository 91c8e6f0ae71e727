package dev.cairn.http.watch;

import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.Json;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns watch notifications into wire messages of type {@code T} (WebSocket frames, SSE chunks).
 */
interface Encoder<T> {
  T created(long watchId, long startRevision);

  /**
   * The watch's {@code events} up to {@code revision}; null when nothing of them is to be sent (an
   * SSE stream resumed within a revision whose events the client already has): they count as
   * delivered.
   */
  T events(long watchId, long revision, List<WatchEvent> events, boolean prevKv, Cache cache);

  /**
   * The same events for several watches of a coalesced connection, in one message ({@code
   * watch_ids}); only transports with many watches per connection (the WebSocket) have it.
   */
  T group(long[] watchIds, long revision, List<WatchEvent> events, boolean prevKv, Cache cache);

  T progress(long watchId, long revision);

  /**
   * @param compactRevision the compaction point when {@code reason} is compacted, else 0
   * @param lastRevision the last revision delivered to the watch (resume from the next one)
   */
  T canceled(long watchId, String reason, long compactRevision, long lastRevision);

  T error(String code, String detail);

  /** Approximate memory a message holds, for the per-connection budget. */
  long sizeOf(T message);

  /** Any other JSON message (session replies); null when the transport has none. */
  T message(Object body);

  /** A message already written as JSON text (a call's reply); null when the transport has none. */
  default T raw(String json) {
    return null;
  }

  /**
   * The last message before the server goes away, with the last revision the stream completed (0 if
   * none), or null when the transport says it otherwise (a WebSocket's close 1001).
   */
  default T shutdown(long lastRevision) {
    return null;
  }

  /**
   * Encodings shared by the watches of one delivery: the hub hands every watch that sees all of a
   * revision's changes the same list, so its JSON is written once, not once per watch.
   */
  final class Cache {
    private final Map<List<WatchEvent>, String> plain = new IdentityHashMap<>();
    private final Map<List<WatchEvent>, String> withPrev = new IdentityHashMap<>();

    String eventsJson(List<WatchEvent> events, boolean prevKv) {
      return (prevKv ? withPrev : plain).computeIfAbsent(events, e -> encodeEvents(e, prevKv));
    }

    void clear() {
      // IdentityHashMap.clear() wipes its whole table: skip it when nothing was cached.
      if (!plain.isEmpty()) {
        plain.clear();
      }
      if (!withPrev.isEmpty()) {
        withPrev.clear();
      }
    }

    private static String encodeEvents(List<WatchEvent> events, boolean prevKv) {
      StringBuilder sb = new StringBuilder(events.size() * 160);
      sb.append('[');
      for (int i = 0; i < events.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(eventJson(events.get(i), prevKv));
      }
      return sb.append(']').toString();
    }

    static String eventJson(WatchEvent e, boolean prevKv) {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("type", e.type().name());
      m.put("kv", Json.kv(e.kv(), e.type() == WatchEvent.Type.PUT));
      if (prevKv && e.prevKv() != null) {
        m.put("prev_kv", Json.kv(e.prevKv(), true));
      }
      return new String(Json.write(m), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
