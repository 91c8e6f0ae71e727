package dev.cairn.bench.failover;

import java.util.List;

/**
 * What the clients saw of one kill, read from the write log.
 *
 * @param unavailableMs from the kill to the acknowledgement of the first write sent after it; -1
 *     when none was acknowledged
 * @param gapMs from the last acknowledgement that arrived before the kill to that first
 *     acknowledgement (the longest silence a client of the cluster saw), -1 when either is missing
 * @param firstAckMember the member that acknowledged that write ({@code ""} when the client library
 *     does not say)
 * @param failedWrites writes that ended in failure between the kill and that acknowledgement
 * @param timedOut how many of those ended by the client's write timeout
 * @param sampleFailure one of those failures, described, or {@code null}
 */
record Outage(
    double unavailableMs,
    double gapMs,
    String firstAckMember,
    int failedWrites,
    int timedOut,
    String sampleFailure) {

  /**
   * The outage of a kill at {@code killNanos}: acknowledgements of writes sent before the kill do
   * not end it (one that was already committed may arrive a moment after the kill).
   */
  static Outage of(long killNanos, List<Writers.Ack> acks, List<Writers.Failure> failures) {
    Writers.Ack first = null;
    long lastBefore = Long.MIN_VALUE;
    for (Writers.Ack a : acks) {
      if (a.sentNanos() >= killNanos && (first == null || a.ackedNanos() < first.ackedNanos())) {
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
    for (Writers.Failure f : failures) {
      if (f.endedNanos() >= killNanos && f.endedNanos() <= end) {
        failed++;
        if (f.timeout()) {
          timedOut++;
        }
        if (sample == null) {
          sample = f.why();
        }
      }
    }
    return new Outage(
        first == null ? -1 : (first.ackedNanos() - killNanos) / 1e6,
        first == null || lastBefore == Long.MIN_VALUE
            ? -1
            : (first.ackedNanos() - lastBefore) / 1e6,
        first == null ? null : first.member(),
        failed,
        timedOut,
        sample);
  }

  boolean recovered() {
    return unavailableMs >= 0;
  }
}
