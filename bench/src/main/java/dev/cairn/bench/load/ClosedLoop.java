package dev.cairn.bench.load;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Outcome;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load: each client sends its next operation as soon as the previous one completes, so
 * exactly {@code clients} operations are outstanding at any time. Latency runs from just before the
 * operation is handed to the channel to the moment its full response was seen.
 *
 * <p>An operation counts in the measured window when its response arrives inside it; that keeps the
 * throughput unbiased at the window's edges. An operation without an answer after the timeout
 * counts as an error and its channel is aborted; a client whose connection failed waits a little
 * before it tries again, so that a dead server yields a count of errors rather than a busy loop.
 */
final class ClosedLoop {

  /** Largest latency the histogram tracks (longer ones are clamped to it). */
  static final long MAX_TRACKED_NANOS = TimeUnit.MINUTES.toNanos(10);

  private static final long RETRY_AFTER_IO_ERROR_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Op op;
  private final long timeoutNanos;
  private final Histogram histogram = new ConcurrentHistogram(MAX_TRACKED_NANOS, 3);
  private final LongAdder ok = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder ioErrors = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder outsideErrors = new LongAdder();
  private final ScheduledExecutorService timer = Cli.daemonScheduler("bench-closed-loop-timer");

  private volatile long windowStart;
  private volatile long windowEnd;
  private volatile long stopAt;

  ClosedLoop(Op op, long timeoutNanos) {
    this.op = op;
    this.timeoutNanos = timeoutNanos;
  }

  /**
   * Runs the clients over {@code channels} for {@code warmupNanos + durationNanos}, measuring the
   * last {@code durationNanos}; keys are drawn uniformly from {@code [0, keys)}.
   */
  Measurement measure(List<ClientChannel> channels, int keys, long warmupNanos, long durationNanos)
      throws InterruptedException {
    long t0 = System.nanoTime();
    windowStart = t0 + warmupNanos;
    windowEnd = windowStart + durationNanos;
    stopAt = windowEnd;
    IntSupplier uniform = () -> ThreadLocalRandom.current().nextInt(keys);
    CountDownLatch finished = start(channels, uniform);
    sleepUntil(windowStart);
    long cpu0 = processCpuNanos();
    sleepUntil(windowEnd);
    long cpu1 = processCpuNanos();
    boolean drained =
        finished.await(TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + 2_000, TimeUnit.MILLISECONDS);
    timer.shutdownNow();
    if (!drained) {
      System.err.println(
          "warning: " + finished.getCount() + " clients had not drained after the window");
    }
    return snapshot(durationNanos, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0);
  }

  /** Runs every key in {@code [0, keys)} once through the clients; everything is counted. */
  Measurement sweep(List<ClientChannel> channels, int keys) throws InterruptedException {
    long t0 = System.nanoTime();
    windowStart = Long.MIN_VALUE;
    windowEnd = Long.MAX_VALUE;
    stopAt = Long.MAX_VALUE;
    AtomicInteger next = new AtomicInteger();
    IntSupplier sequential =
        () -> {
          int k = next.getAndIncrement();
          return k < keys ? k : -1;
        };
    CountDownLatch finished = start(channels, sequential);
    finished.await();
    timer.shutdownNow();
    return snapshot(System.nanoTime() - t0, -1);
  }

  private CountDownLatch start(List<ClientChannel> channels, IntSupplier keys) {
    CountDownLatch finished = new CountDownLatch(channels.size());
    Client[] clients = new Client[channels.size()];
    for (int i = 0; i < clients.length; i++) {
      clients[i] = new Client(channels.get(i), keys, finished);
    }
    long sweepEvery =
        Math.max(
            TimeUnit.MILLISECONDS.toNanos(10),
            Math.min(timeoutNanos / 4, TimeUnit.MILLISECONDS.toNanos(100)));
    timer.scheduleWithFixedDelay(
        () -> {
          for (Client c : clients) {
            c.expireIfLate(System.nanoTime());
          }
        },
        sweepEvery,
        sweepEvery,
        TimeUnit.NANOSECONDS);
    for (Client c : clients) {
      c.next();
    }
    return finished;
  }

  private Measurement snapshot(long windowNanos, long cpuNanos) {
    return new Measurement(
        ok.sum(),
        failed.sum(),
        ioErrors.sum(),
        timeouts.sum(),
        outsideErrors.sum(),
        histogram.copy(),
        windowNanos,
        cpuNanos);
  }

  private void record(long start, long end, Outcome outcome) {
    if (end < windowStart || end >= windowEnd) {
      if (!outcome.ok()) {
        outsideErrors.increment();
      }
      return;
    }
    switch (outcome) {
      case OK -> {
        histogram.recordValue(Math.min(Math.max(end - start, 1), MAX_TRACKED_NANOS));
        ok.increment();
      }
      case FAILED -> failed.increment();
      case IO_ERROR -> ioErrors.increment();
      case TIMEOUT -> timeouts.increment();
    }
  }

  private static void sleepUntil(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      LockSupport.parkNanos(left);
    }
  }

  /** CPU time of this process so far, or -1 where the platform does not say. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** One logical client: at most one operation outstanding, identified by a token. */
  private final class Client {
    private final ClientChannel channel;
    private final IntSupplier keys;
    private final CountDownLatch finished;

    /** Token of the outstanding operation, 0 when none. Whoever clears it issues the next one. */
    private final AtomicLong pending = new AtomicLong();

    private long lastToken;
    private volatile long sentAt;
    private volatile boolean sending;
    private boolean done;

    Client(ClientChannel channel, IntSupplier keys, CountDownLatch finished) {
      this.channel = channel;
      this.keys = keys;
      this.finished = finished;
    }

    void next() {
      int key;
      if (System.nanoTime() >= stopAt || (key = keys.getAsInt()) < 0) {
        if (!done) {
          done = true;
          finished.countDown();
        }
        return;
      }
      long token = ++lastToken;
      long start = System.nanoTime();
      sentAt = start;
      pending.set(token);
      sending = true;
      try {
        op.issue(channel, key, outcome -> completed(token, start, outcome));
      } catch (RuntimeException e) {
        System.err.println("error: " + op.label() + " could not be sent: " + e);
        completed(token, start, Outcome.IO_ERROR);
      } finally {
        sending = false;
      }
    }

    private void completed(long token, long start, Outcome outcome) {
      long end = System.nanoTime();
      if (!pending.compareAndSet(token, 0)) {
        return; // already expired by the timeout sweep
      }
      record(start, end, outcome);
      if (outcome == Outcome.IO_ERROR) {
        later(RETRY_AFTER_IO_ERROR_NANOS);
      } else if (sending) {
        later(0); // completed inside send: do not recurse
      } else {
        next();
      }
    }

    private void later(long delayNanos) {
      try {
        timer.schedule(this::next, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // The run is over and the timer stopped: this client ends here.
      }
    }

    void expireIfLate(long now) {
      long token = pending.get();
      if (token == 0 || now - sentAt < timeoutNanos) {
        return;
      }
      long start = sentAt;
      if (pending.compareAndSet(token, 0)) {
        record(start, now, Outcome.TIMEOUT);
        channel.abort();
        next();
      }
    }
  }
}
