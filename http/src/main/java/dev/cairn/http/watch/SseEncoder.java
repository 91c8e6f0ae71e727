package dev.cairn.http.watch;

import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;

/**
 * Server-sent events: each change is {@code id: <id>}, {@code event: put|delete}, {@code data: <kv
 * JSON>}; the id lets a reconnecting client resume with {@code Last-Event-ID}.
 *
 * <p><b>Ids.</b> A revision can hold several changes (a transaction, a prefix delete, a lease
 * expiry). Of the {@code n} events revision {@code R} has on this stream (after its key or prefix
 * filter), the last one's id is {@code R} and the others' are {@code R.1} to {@code R.(n-1)}, their
 * 1-based positions. So a single change keeps the id {@code R}, an id {@code R} always means
 * "revision R is complete", and {@code Last-Event-ID: R.i} resumes within R, after its first {@code
 * i} events. A revision's events come in key order both live and when replayed from history (a
 * revision changes a key at most once), so the positions are the same on every stream with the same
 * filter.
 *
 * <p>One instance per stream: it carries that stream's resume point. It relies on each {@link
 * #events} call holding every event of the revisions it holds (the watch never splits a revision
 * across messages).
 */
final class SseEncoder implements Encoder<ByteString> {
  /** Revision whose first {@link #skipEvents} events the client already has (0 = none). */
  private long skipRevision;

  private long skipEvents;

  /**
   * @param revision the stream's start revision
   * @param events how many of that revision's events on this stream the client already has: 0, or i
   *     when it resumes with {@code Last-Event-ID: <revision>.<i>}
   */
  SseEncoder(long revision, long events) {
    this.skipRevision = revision;
    this.skipEvents = events;
  }

  @Override
  public ByteString created(long watchId, long startRevision) {
    return ByteString.fromString(": watching from revision " + startRevision + "\n\n");
  }

  /**
   * @return the events' text, or null when the stream resumed within this revision and the client
   *     already has every one of them
   */
  @Override
  public ByteString events(
      long watchId, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    StringBuilder sb = null;
    for (int from = 0; from < events.size(); ) {
      long rev = events.get(from).revision();
      int to = from + 1;
      while (to < events.size() && events.get(to).revision() == rev) {
        to++;
      }
      int skip = 0;
      if (skipEvents > 0 && rev >= skipRevision) {
        if (rev == skipRevision) {
          skip = (int) Math.min(skipEvents, to - from);
        }
        skipEvents = 0;
      }
      for (int i = from + skip; i < to; i++) {
        if (sb == null) {
          sb = new StringBuilder(events.size() * 200);
        }
        WatchEvent e = events.get(i);
        sb.append("id: ").append(rev);
        if (i < to - 1) {
          sb.append('.').append(i - from + 1);
        }
        sb.append('\n');
        sb.append("event: ")
            .append(e.type() == WatchEvent.Type.PUT ? "put" : "delete")
            .append('\n');
        sb.append("data: ")
            .append(
                new String(
                    Json.write(Json.kv(e.kv(), e.type() == WatchEvent.Type.PUT)),
                    StandardCharsets.UTF_8))
            .append("\n\n");
      }
      from = to;
    }
    return sb == null ? null : ByteString.fromString(sb.toString());
  }

  /** Never used: an SSE stream has one watch. */
  @Override
  public ByteString group(
      long[] watchIds, long revision, List<WatchEvent> events, boolean prevKv, Cache cache) {
    throw new UnsupportedOperationException("an SSE stream has a single watch");
  }

  @Override
  public ByteString progress(long watchId, long revision) {
    return ByteString.fromString("event: progress\ndata: {\"revision\":" + revision + "}\n\n");
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

  /**
   * {@code event: shutdown} with the revision to resume after; its {@code id} (when there is one)
   * lets an EventSource resume exactly there with {@code Last-Event-ID}.
   */
  @Override
  public ByteString shutdown(long lastRevision) {
    return ByteString.fromString(
        (lastRevision > 0 ? "id: " + lastRevision + "\n" : "")
            + "event: shutdown\ndata: {\"revision\":"
            + lastRevision
            + "}\n\n");
  }

  @Override
  public ByteString message(Object body) {
    return null;
  }
}
