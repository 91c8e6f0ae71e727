package dev.cairn.bench.watch;

import dev.cairn.bench.http.JsonScan;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a group of etcd watch streams received (each stream is one watch, numbered within the
 * group): the lines of {@code POST <api>/watch} responses, {@code {"result":{...,"events":[{"kv":
 * {...,"mod_revision","value"}}]}}} with base64 values, creations and cancellations.
 */
final class EtcdReceiver extends WatchTally {
  static final String RESULT = "{\"result\":";
  static final String EVENTS = "\"events\":[";
  static final String KV = "\"kv\":{";
  static final String VALUE = "\"value\":\"";
  static final String MOD_REVISION = "\"mod_revision\":";

  final AtomicLong streamsEnded = new AtomicLong();

  EtcdReceiver(int base, int count, long r0, long warmupPuts) {
    super(base, count, r0, warmupPuts);
  }

  @Override
  long closedCount() {
    return streamsEnded.get();
  }

  /** One line of watch {@code id}'s stream, received at {@code now}. */
  void onLine(int id, String line, long now) {
    if (line.isBlank()) {
      return;
    }
    if (!line.startsWith(RESULT)) {
      error(line.length() > 300 ? line.substring(0, 300) + "..." : line);
      return;
    }
    synchronized (this) {
      int pos = line.indexOf(EVENTS);
      if (pos < 0) {
        if (line.contains("\"created\":true")) {
          created.incrementAndGet();
        } else if (line.contains("\"canceled\":true")) {
          int r = line.indexOf("\"cancel_reason\":\"");
          cancelled(
              r >= 0
                  ? line.substring(r + 17, line.indexOf('"', r + 17))
                  : line.contains("\"compact_revision\"") ? "compacted" : "canceled");
        }
        return; // progress notifications
      }
      while ((pos = line.indexOf(KV, pos)) >= 0) {
        // A kv holds no nested object, and base64 and numbers hold no brace.
        int end = line.indexOf('}', pos);
        if (end < 0) {
          malformed++;
          return;
        }
        long revision = JsonScan.number(line, MOD_REVISION, pos, end);
        int v = line.indexOf(VALUE, pos);
        long[] seqSent = null;
        if (v >= 0 && v < end) {
          int from = v + VALUE.length();
          int to = line.indexOf('"', from);
          seqSent = to < 0 || to > end ? null : seqAndSentAt(line, from, to);
        }
        if (revision < 0 || seqSent == null) {
          malformed++;
        } else {
          deliver(id, seqSent[0], seqSent[1], revision, now);
        }
        pos = end;
      }
    }
  }

  /**
   * The put's sequence number and scheduled send time from a base64 value {@code
   * <seq>:<nanos>:<pad>} in {@code s[from, to)}: only the first 64 characters are decoded. Null
   * when the value is not of that form.
   */
  static long[] seqAndSentAt(String s, int from, int to) {
    int len = to - from;
    int take = len <= 64 ? len : 64;
    byte[] b;
    try {
      b = Base64.getDecoder().decode(s.substring(from, from + take));
    } catch (IllegalArgumentException e) {
      return null;
    }
    long[] out = new long[2];
    int pos = 0;
    for (int field = 0; field < 2; field++) {
      int start = pos;
      long v = 0;
      while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
        v = v * 10 + (b[pos] - '0');
        pos++;
      }
      if (pos == start || pos >= b.length || b[pos] != ':') {
        return null;
      }
      out[field] = v;
      pos++;
    }
    return out;
  }
}
