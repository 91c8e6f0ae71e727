package dev.cairn.bench.journal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The window one run's writers share: a write counts (events, writes, latency) when it completes
 * while the window is open, so rates are unbiased at its edges; once the window is closed the
 * writers stop after their write in flight. Thread-safe.
 */
final class WriteWindow {
  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(2);

  private final Recorder latencyMicros = new Recorder(MAX_MICROS, 3);
  private final LongAdder writes = new LongAdder();
  private final LongAdder events = new LongAdder();
  private volatile boolean measuring;
  private volatile boolean running = true;

  /** Starts counting the writes that complete from now on. */
  void open() {
    latencyMicros.reset();
    measuring = true;
  }

  /** Stops counting, and tells the writers to stop after their write in flight. */
  void close() {
    measuring = false;
    running = false;
  }

  /** Whether writers should start another write. */
  boolean running() {
    return running;
  }

  /** A write of {@code eventCount} events completed {@code nanos} after it was handed over. */
  void completed(int eventCount, long nanos) {
    if (measuring) {
      latencyMicros.recordValue(Math.min(MAX_MICROS, TimeUnit.NANOSECONDS.toMicros(nanos)));
      writes.increment();
      events.add(eventCount);
    }
  }

  /** Writes completed while the window was open. */
  long writes() {
    return writes.sum();
  }

  /** Events of those writes. */
  long events() {
    return events.sum();
  }

  /** Latency of those writes in microseconds, from the hand-over to the persist handler. */
  Histogram latencyMicros() {
    return latencyMicros.getIntervalHistogram();
  }
}
