package dev.cairn.bench.failover;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the clients saw of one kill, read from the write log.
 *
 * @param unavailableMs from the fault to the acknowledgement of the first write sent after the
 *     leader stopped serving (the fault itself, or for a graceful shutdown the leader's exit); -1
 *     when none was acknowledged
 * @param gapMs from the last acknowledgement that arrived before the fault to that first
 *     acknowledgement, -1 when either is missing
 * @param silenceMs the longest stretch within the gap in which no write at all was acknowledged:
 *     the gap itself after a kill, less when the old leader or a successor still answered some
 *     writes meanwhile (a graceful handover); -1 when the gap is unknown
 * @param firstAckMember the member that acknowledged that write ({@code ""} when the client library
 *     does not say)
 * @param failedWrites writes that ended in failure between the kill and that acknowledgement
 * @param timedOut how many of those ended by the client's write timeout
 * @param sampleFailure one of those failures, described, or {@code null}
 * @param silenceFromMs where the longest silence began, in ms from the fault (-1 when unknown)
 * @param failureLog those failures, in the order they ended: client, ms from the fault to the
 *     write's sending and to its end, timed out or not, and why, so that a long silence can be told
 *     apart into writes lost and writes refused
 */
record Outage(
    double unavailableMs,
    double gapMs,
    double silenceMs,
    String firstAckMember,
    int failedWrites,
    int timedOut,
    String sampleFailure,
    double silenceFromMs,
    List<Map<String, Object>> failureLog) {

  /**
   * The outage of a kill at {@code killNanos}: acknowledgements of writes sent before the kill do
   * not end it (one that was already committed may arrive a moment after the kill).
   */
  static Outage of(long killNanos, List<Writers.Ack> acks, List<Writers.Failure> failures) {
    return of(killNanos, killNanos, acks, failures);
  }

  /**
   * The outage of a fault at {@code killNanos} after which the old leader served until {@code
   * servedUntilNanos} (its exit, after a graceful shutdown): it ends with the first acknowledgement
   * of a write sent after that.
   */
  static Outage of(
      long killNanos,
      long servedUntilNanos,
      List<Writers.Ack> acks,
      List<Writers.Failure> failures) {
    Writers.Ack first = null;
    long lastBefore = Long.MIN_VALUE;
    for (Writers.Ack a : acks) {
      if (a.sentNanos() >= servedUntilNanos
          && (first == null || a.ackedNanos() < first.ackedNanos())) {
        first = a;
      }
      if (a.ackedNanos() <= killNanos) {
        lastBefore = Math.max(lastBefore, a.ackedNanos());
      }
    }
    long end = first == null ? Long.MAX_VALUE : first.ackedNanos();
    int failed = 0;
    int timedOut = 0;
    String sample = null;
    List<Map<String, Object>> log = new ArrayList<>();
    List<Writers.Failure> sorted = new ArrayList<>(failures);
    sorted.sort(Comparator.comparingLong(Writers.Failure::endedNanos));
    for (Writers.Failure f : sorted) {
      if (f.endedNanos() >= killNanos && f.endedNanos() <= end) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("client", f.client());
        entry.put("sent_ms", Math.round((f.sentNanos() - killNanos) / 1e5) / 10.0);
        entry.put("ended_ms", Math.round((f.endedNanos() - killNanos) / 1e5) / 10.0);
        entry.put("timeout", f.timeout());
        entry.put("why", f.why().length() > 120 ? f.why().substring(0, 120) : f.why());
        log.add(entry);
        failed++;
        if (f.timeout()) {
          timedOut++;
        }
        if (sample == null) {
          sample = f.why();
        }
      }
    }
    long silence = -1;
    long silenceFrom = Long.MIN_VALUE;
    if (first != null && lastBefore != Long.MIN_VALUE) {
      long from = lastBefore;
      long to = first.ackedNanos();
      long[] times =
          acks.stream()
              .mapToLong(Writers.Ack::ackedNanos)
              .filter(t -> t > from && t < to)
              .sorted()
              .toArray();
      long previous = from;
      silence = 0;
      for (long t : times) {
        if (t - previous > silence) {
          silence = t - previous;
          silenceFrom = previous;
        }
        previous = t;
      }
      if (to - previous > silence) {
        silence = to - previous;
        silenceFrom = previous;
      }
    }
    return new Outage(
        first == null ? -1 : (first.ackedNanos() - killNanos) / 1e6,
        first == null || lastBefore == Long.MIN_VALUE
            ? -1
            : (first.ackedNanos() - lastBefore) / 1e6,
        silence < 0 ? -1 : silence / 1e6,
        first == null ? null : first.member(),
        failed,
        timedOut,
        sample,
        silenceFrom == Long.MIN_VALUE ? -1 : Math.round((silenceFrom - killNanos) / 1e5) / 10.0,
        log);
  }

  boolean recovered() {
    return unavailableMs >= 0;
  }
}
