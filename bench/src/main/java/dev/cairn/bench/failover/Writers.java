package dev.cairn.bench.failover;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The steady stream of writes: every client sends its next write as soon as the previous one is
 * acknowledged; after a failure (an error answer, a broken connection, or no answer within the
 * write timeout) it moves on ({@link WriteClient#moveOn}) and sends again after a short backoff,
 * like etcd's client (25 ms) and Curator's retry loops. Every acknowledgement and failure is logged
 * with its send and end times ({@link System#nanoTime}), so that a kill's figures can be read from
 * the log afterwards; {@link #awaitAckSentAfter} lets the benchmark wait for the first write sent
 * after a kill to be acknowledged.
 *
 * <p>Every client's next step runs on one scheduler thread, so a write that fails at once (a
 * refused connection) never recurses.
 */
final class Writers implements AutoCloseable {

  /** An acknowledged write. */
  record Ack(int client, long sentNanos, long ackedNanos, String member) {}

  /** A write that failed or timed out. */
  record Failure(int client, long sentNanos, long endedNanos, boolean timeout, String why) {}

  private final List<WriteClient> clients;
  private final Duration timeout;
  private final Duration backoff;
  private final ScheduledExecutorService scheduler;
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean stopped;

  private final Object firstLock = new Object();
  private long mark = Long.MAX_VALUE;
  private Ack first;

  Writers(
      List<WriteClient> clients,
      Duration timeout,
      Duration backoff,
      ScheduledExecutorService scheduler) {
    this.clients = List.copyOf(clients);
    this.timeout = timeout;
    this.backoff = backoff;
    this.scheduler = scheduler;
  }

  /** Starts every client's loop. */
  void start() {
    for (int i = 0; i < clients.size(); i++) {
      int client = i;
      scheduler.execute(() -> send(client, 0));
    }
  }

  private void send(int client, long seq) {
    if (stopped) {
      return;
    }
    inFlight.incrementAndGet();
    long sent = System.nanoTime();
    WriteClient c = clients.get(client);
    c.write(seq, timeout)
        .whenComplete(
            (member, failure) -> {
              long ended = System.nanoTime();
              inFlight.decrementAndGet();
              if (failure == null) {
                acked(new Ack(client, sent, ended, member));
                scheduler.execute(() -> send(client, seq + 1));
              } else {
                Throwable cause =
                    failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                failures.add(
                    new Failure(
                        client,
                        sent,
                        ended,
                        cause instanceof TimeoutException,
                        cause.getClass().getSimpleName() + ": " + cause.getMessage()));
                c.moveOn();
                scheduler.schedule(
                    () -> send(client, seq + 1), backoff.toNanos(), TimeUnit.NANOSECONDS);
              }
            });
  }

  private void acked(Ack ack) {
    acks.add(ack);
    synchronized (firstLock) {
      if (first == null && ack.sentNanos() >= mark) {
        first = ack;
        firstLock.notifyAll();
      }
    }
  }

  /** Empties the log: the next round's figures start here. */
  void clear() {
    acks.clear();
    failures.clear();
  }

  /** From now on, {@link #awaitAckSentAfter} waits for a write sent at or after {@code nanos}. */
  void mark(long nanos) {
    synchronized (firstLock) {
      mark = nanos;
      first = null;
    }
  }

  /**
   * The first acknowledgement of a write sent at or after the {@link #mark}, waiting at most {@code
   * wait}; null when none came.
   */
  Ack awaitAckSentAfter(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    synchronized (firstLock) {
      while (first == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        TimeUnit.NANOSECONDS.timedWait(firstLock, left);
      }
      return first;
    }
  }

  /** The acknowledgements logged since the last {@link #clear}. */
  List<Ack> acks() {
    return new ArrayList<>(acks);
  }

  /** The failures logged since the last {@link #clear}. */
  List<Failure> failures() {
    return new ArrayList<>(failures);
  }

  /** Stops sending and waits (at most the write timeout and a second) for writes in flight. */
  @Override
  public void close() {
    stopped = true;
    long deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(1);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    clients.forEach(WriteClient::close);
  }
}
