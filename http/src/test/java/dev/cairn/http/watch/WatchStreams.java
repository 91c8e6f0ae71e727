package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.watch.WriteLoad.Change;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Per-watch views of a WebSocket client's log, for connections with and without {@code
 * coalesce=true}: a watch's events come in single-watch messages ({@code watch_id}) and in group
 * messages ({@code watch_ids}).
 */
final class WatchStreams {
  private WatchStreams() {}

  /** The watches a message is about: its watch_id, or every id of its watch_ids. */
  static List<Long> ids(JsonNode m) {
    List<Long> out = new ArrayList<>();
    if (m.has("watch_ids")) {
      m.path("watch_ids").forEach(i -> out.add(i.asLong()));
    } else if (m.has("watch_id")) {
      out.add(m.path("watch_id").asLong());
    }
    return out;
  }

  static boolean about(JsonNode m, long id) {
    return ids(m).contains(id);
  }

  /** An events message (single or group) that carries events for {@code id}. */
  static Predicate<JsonNode> eventsFor(long id) {
    return m -> m.has("events") && about(m, id);
  }

  static boolean isGroup(JsonNode m) {
    return m.has("watch_ids");
  }

  static List<Change> changes(JsonNode m) {
    List<Change> out = new ArrayList<>();
    for (JsonNode e : m.path("events")) {
      out.add(
          new Change(
              e.path("kv").path("mod_revision").asLong(),
              e.path("kv").path("key").asText(),
              e.path("type").asText()));
    }
    return out;
  }

  /** The events of every message in {@code log} that {@code which} accepts, in order. */
  static List<Change> changes(List<JsonNode> log, Predicate<JsonNode> which) {
    List<Change> out = new ArrayList<>();
    for (JsonNode m : log) {
      if (which.test(m)) {
        out.addAll(changes(m));
      }
    }
    return out;
  }

  /** The events of watch {@code id}, in arrival order, up to its canceled message. */
  static List<Change> events(List<JsonNode> log, long id) {
    List<Change> out = new ArrayList<>();
    for (JsonNode m : log) {
      if (WsClient.canceled(id).test(m)) {
        break;
      }
      if (eventsFor(id).test(m)) {
        out.addAll(changes(m));
      }
    }
    return out;
  }

  /** The messages about watch {@code id} after its (first) canceled message. */
  static List<JsonNode> afterCanceled(List<JsonNode> log, long id) {
    List<JsonNode> out = new ArrayList<>();
    boolean canceled = false;
    for (JsonNode m : log) {
      if (canceled && about(m, id)) {
        out.add(m);
      }
      if (WsClient.canceled(id).test(m)) {
        canceled = true;
      }
    }
    return out;
  }

  /** A short description of a message (ids, kind, revision, event count), for assertion output. */
  static String summary(JsonNode m) {
    if (!m.has("events")) {
      String s = m.toString();
      return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
    return ids(m)
        + " revision "
        + m.path("revision").asLong()
        + ", "
        + m.path("events").size()
        + " events";
  }

  /** The highest message revision of watch {@code id}'s events messages, or -1. */
  static long lastRevision(List<JsonNode> log, long id) {
    long max = -1;
    for (JsonNode m : log) {
      if (eventsFor(id).test(m)) {
        max = Math.max(max, m.path("revision").asLong());
      }
    }
    return max;
  }

  /** The changes of {@code acked} with revision at most {@code last} that {@code keep} accepts. */
  static Map<Long, Change> upTo(Map<Long, Change> acked, long last, Predicate<Change> keep) {
    Map<Long, Change> out = new TreeMap<>();
    acked.forEach(
        (rev, c) -> {
          if (rev <= last && keep.test(c)) {
            out.put(rev, c);
          }
        });
    return out;
  }
}
