package dev.cairn.bench.watch;

import dev.cairn.bench.http.JsonScan;
import dev.cairn.bench.http.TextSocket;
import java.util.Arrays;

/**
 * What the watches of one Cairn WebSocket connection received: single-watch messages ({@code
 * watch_id}) and coalesced ones ({@code watch_ids}, whose events count for every listed watch),
 * creations, cancellations by reason, and errors. Called on that connection's reader thread only.
 */
final class CairnReceiver extends WatchTally implements TextSocket.Handler {
  static final String SINGLE = "{\"watch_id\":";
  static final String GROUP = "{\"watch_ids\":[";

  CairnReceiver(int base, int count, long r0, long warmupPuts) {
    super(base, count, r0, warmupPuts);
  }

  /** The events of the message being handled: sequence number, send time, revision. */
  private long[] seqs = new long[16];

  private long[] sentAts = new long[16];
  private long[] revs = new long[16];
  private int[] ids = new int[16];

  @Override
  public void onMessage(String text) {
    long now = System.nanoTime();
    synchronized (this) {
      int nIds;
      if (text.startsWith(GROUP)) {
        // {"watch_ids":[a,b,...],"revision":R,"events":[...]}: the events of every listed watch.
        nIds = 0;
        int pos = GROUP.length();
        int end = text.indexOf(']', pos);
        while (end > 0 && pos < end) {
          int comma = text.indexOf(',', pos);
          int stop = comma < 0 || comma > end ? end : comma;
          long id = JsonScan.parseLong(text, pos, stop);
          if (id < 0 || id >= count) {
            malformed++;
            return;
          }
          if (nIds == ids.length) {
            ids = Arrays.copyOf(ids, 2 * nIds);
          }
          ids[nIds++] = (int) id;
          pos = stop + 1;
        }
        if (nIds == 0 || text.indexOf("\"events\":[", end) < 0) {
          malformed++;
          return;
        }
      } else if (text.startsWith(SINGLE)) {
        int id = (int) JsonScan.longAfter(text, SINGLE, 0);
        if (id < 0 || id >= count) {
          malformed++;
          return;
        }
        if (text.indexOf("\"events\":[") < 0) {
          if (text.contains("\"created\":true")) {
            created.incrementAndGet();
          } else if (text.contains("\"canceled\":true")) {
            int r = text.indexOf("\"reason\":\"");
            cancelled(r < 0 ? "?" : text.substring(r + 10, text.indexOf('"', r + 10)));
          }
          return; // progress notifications
        }
        ids[0] = id;
        nIds = 1;
      } else {
        if (text.contains("\"error\"")) {
          error(text);
        }
        return;
      }
      // The events, scanned once whatever the number of watches they are for.
      int pos = text.indexOf("\"events\":[");
      int n = 0;
      while ((pos = text.indexOf("\"value\":\"", pos)) >= 0) {
        pos += 9;
        int colon = text.indexOf(':', pos);
        long seq = JsonScan.parseLong(text, pos, colon);
        int colon2 = text.indexOf(':', colon + 1);
        long sentAt = JsonScan.parseLong(text, colon + 1, colon2);
        int mr = text.indexOf("\"mod_revision\":", colon2);
        if (mr < 0 || seq < 0 || sentAt < 0) {
          malformed++;
          break;
        }
        long rev = JsonScan.longAfter(text, "\"mod_revision\":", mr);
        pos = mr;
        if (rev - r0 - 1 < 0) {
          malformed++;
          continue;
        }
        if (n == revs.length) {
          seqs = Arrays.copyOf(seqs, 2 * n);
          sentAts = Arrays.copyOf(sentAts, 2 * n);
          revs = Arrays.copyOf(revs, 2 * n);
        }
        seqs[n] = seq;
        sentAts[n] = sentAt;
        revs[n] = rev;
        n++;
      }
      for (int i = 0; i < nIds; i++) {
        for (int e = 0; e < n; e++) {
          mark(ids[i], revs[e]);
        }
      }
      for (int e = 0; e < n; e++) {
        timed(seqs[e], sentAts[e], now, nIds); // each listed watch received it at this time
      }
      received.addAndGet((long) n * nIds);
    }
  }

  @Override
  public void onClosed(int status, String reason) {
    closed = true;
  }

  @Override
  public void onError(Throwable t) {
    closed = true;
    error(t.toString());
  }
}
