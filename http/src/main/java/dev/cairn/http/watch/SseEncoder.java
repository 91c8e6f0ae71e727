package dev.cairn.http.watch;

import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;

/**
 * Server-sent events: each change is {@code id: <revision>}, {@code event: put|delete}, {@code
 * data: <kv JSON>}; the id lets a reconnecting client resume with {@code Last-Event-ID}.
 */
final class SseEncoder implements Encoder<ByteString> {
  @Override
  public ByteString created(long watchId, long startRevision) {
    return ByteString.fromString(": watching from revision " + startRevision + "\n\n");
  }

  @Override
  public ByteString events(
      long watchId, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    StringBuilder sb = new StringBuilder(events.size() * 200);
    for (WatchEvent e : events) {
      sb.append("id: ").append(e.revision()).append('\n');
      sb.append("event: ").append(e.type() == WatchEvent.Type.PUT ? "put" : "delete").append('\n');
      sb.append("data: ")
          .append(
              new String(
                  Json.write(Json.kv(e.kv(), e.type() == WatchEvent.Type.PUT)),
                  StandardCharsets.UTF_8))
          .append("\n\n");
    }
    return ByteString.fromString(sb.toString());
  }

  /** Never used: an SSE stream has one watch. */
  @Override
  public ByteString group(
      long[] watchIds, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    throw new UnsupportedOperationException("an SSE stream has a single watch");
  }

  @Override
  public ByteString progress(long watchId, long revision) {
    return ByteString.fromString(
        "event: progress\ndata: {\"revision\":" + revision + "}\n\n");
  }

  @Override
  public ByteString canceled(long watchId, String reason, long compactRevision, long lastRevision) {
    return ByteString.fromString(
        "event: canceled\ndata: "
            + new String(
                Json.write(
                    Map.of(
                        "reason", reason,
                        "compact_revision", compactRevision,
                        "last_revision", lastRevision)),
                StandardCharsets.UTF_8)
            + "\n\n");
  }

  @Override
  public long sizeOf(ByteString message) {
    return 64 + message.length();
  }

  @Override
  public ByteString error(String code, String detail) {
    return ByteString.fromString(
        "event: error\ndata: "
            + new String(Json.write(Map.of("code", code, "detail", detail)), StandardCharsets.UTF_8)
            + "\n\n");
  }

  @Override
  public ByteString message(Object body) {
    return null;
  }
}
