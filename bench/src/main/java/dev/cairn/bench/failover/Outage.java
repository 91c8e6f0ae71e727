package dev.cairn.bench.failover;

import java.util.List;

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
 */
record Outage(
    double unavailableMs,
    double gapMs,
    double silenceMs,
    String firstAckMember,
    int failedWrites,
    int timedOut,
    String sampleFailure) {

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
    long silence = -1;
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
        silence = Math.max(silence, t - previous);
        previous = t;
      }
      silence = Math.max(silence, to - previous);
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
        sample);
  }

  boolean recovered() {
    return unavailableMs >= 0;
  }
}
