package dev.cairn.bench.load;

import org.HdrHistogram.Histogram;

/**
 * What one closed-loop phase observed: operations whose response arrived inside the measured
 * window, and errors by kind.
 *
 * @param ops successful operations completed inside the window
 * @param failed answers that were not success (non-2xx, peer error codes)
 * @param ioErrors connection or session failures
 * @param timeouts operations with no answer within the timeout
 * @param outsideWindowErrors errors of any kind that ended outside the window (warmup, drain)
 * @param latencyNanos latency of the successful operations, send to full response, in ns
 * @param windowNanos length of the measured window
 * @param cpuNanos CPU time the generator's own process used during the window, or -1
 */
public record Measurement(
    long ops,
    long failed,
    long ioErrors,
    long timeouts,
    long outsideWindowErrors,
    Histogram latencyNanos,
    long windowNanos,
    long cpuNanos) {

  /** All errors inside the window. */
  public long errors() {
    return failed + ioErrors + timeouts;
  }

  /** Successful operations per second of window. */
  public double opsPerSecond() {
    return windowNanos <= 0 ? 0.0 : ops * 1e9 / windowNanos;
  }
}
