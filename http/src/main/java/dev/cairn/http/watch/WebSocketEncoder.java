package dev.cairn.http.watch;

import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;

/** The WebSocket protocol: one JSON object per text frame. */
final class WebSocketEncoder implements Encoder<Message> {
  @Override
  public Message created(long watchId, long startRevision) {
    return text("{\"watch_id\":" + watchId + ",\"created\":true}");
  }

  @Override
  public Message events(
      long watchId, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    String body = cache.eventsJson(events, prevKv);
    return text(
        new StringBuilder(body.length() + 64)
            .append("{\"watch_id\":")
            .append(watchId)
            .append(",\"revision\":")
            .append(revision)
            .append(",\"events\":")
            .append(body)
            .append('}')
            .toString());
  }

  @Override
  public Message group(
      long[] watchIds, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    String body = cache.eventsJson(events, prevKv);
    StringBuilder sb = new StringBuilder(body.length() + 48 + 6 * watchIds.length);
    sb.append("{\"watch_ids\":[");
    for (int i = 0; i < watchIds.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(watchIds[i]);
    }
    return text(
        sb.append("],\"revision\":")
            .append(revision)
            .append(",\"events\":")
            .append(body)
            .append('}')
            .toString());
  }

  @Override
  public Message progress(long watchId, long revision) {
    return text("{\"watch_id\":" + watchId + ",\"progress\":true,\"revision\":" + revision + "}");
  }

  @Override
  public Message canceled(long watchId, String reason, long compactRevision, long lastRevision) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("watch_id", watchId);
    m.put("canceled", true);
    m.put("reason", reason);
    if (compactRevision > 0) {
      m.put("compact_revision", compactRevision);
    }
    if (lastRevision > 0) {
      m.put("last_revision", lastRevision);
    }
    return message(m);
  }

  @Override
  public long sizeOf(Message message) {
    return 64 + 2L * message.asTextMessage().getStrictText().length();
  }

  @Override
  public Message error(String code, String detail) {
    return message(Map.of("error", Map.of("code", code, "detail", detail)));
  }

  @Override
  public Message message(Object body) {
    return text(new String(Json.write(body), StandardCharsets.UTF_8));
  }

  @Override
  public Message raw(String json) {
    return text(json);
  }

  private static Message text(String s) {
    return TextMessage.create(s);
  }
}
