package dev.cairn.http.watch;

import dev.cairn.http.TestServer;
import dev.cairn.http.TestServer.Resp;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Concurrent HTTP writers mixing puts and deletes over a fixed set of keys under a prefix, keeping
 * a ledger of what the server acknowledged: for every change that took a revision, the revision,
 * key and type. Writes whose outcome is unknown (the connection broke, e.g. across a restart) are
 * kept apart: they may or may not have happened.
 */
public final class WriteLoad {
  /** One change: {@code type} is PUT or DELETE. */
  public record Change(long revision, String key, String type) {}

  private final TestServer node;
  private final String prefix;
  private final int keys;
  private final int writers;
  private final int totalOps;
  private final long seed;
  private final int valueSize;
  private final AtomicInteger issued = new AtomicInteger();
  private final AtomicInteger done = new AtomicInteger();
  private final Map<Long, Change> acked = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Change> unknown = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();

  public WriteLoad(
      TestServer node,
      String prefix,
      int keys,
      int writers,
      int totalOps,
      long seed,
      int valueSize) {
    this.node = node;
    this.prefix = prefix;
    this.keys = keys;
    this.writers = writers;
    this.totalOps = totalOps;
    this.seed = seed;
    this.valueSize = valueSize;
  }

  public WriteLoad start() {
    for (int w = 0; w < writers; w++) {
      Random random = new Random(seed * 31 + w);
      Thread t = new Thread(() -> write(random), "writer-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return this;
  }

  private void write(Random random) {
    char[] filler = new char[Math.max(0, valueSize - 12)];
    java.util.Arrays.fill(filler, 'x');
    String pad = new String(filler);
    while (issued.getAndIncrement() < totalOps) {
      String key = prefix + "k" + random.nextInt(keys);
      boolean put = random.nextInt(10) < 7;
      try {
        if (put) {
          Resp r = node.putKey(key, "v" + random.nextInt(1_000_000) + pad);
          if (r.status() == 200) {
            record(new Change(r.revision(), key, "PUT"));
          } else if (r.status() >= 500) {
            unknown.add(new Change(-1, key, "PUT"));
          } else {
            failures.add(r.toString());
          }
        } else {
          Resp r = node.deleteKey(key);
          if (r.status() == 200) {
            if (r.json().path("deleted").asLong() > 0) {
              record(new Change(r.revision(), key, "DELETE"));
            }
          } else if (r.status() >= 500) {
            unknown.add(new Change(-1, key, "DELETE"));
          } else {
            failures.add(r.toString());
          }
        }
      } catch (UncheckedIOException | IllegalStateException e) {
        // The connection broke (e.g. the server is restarting): the write may or may not be in.
        unknown.add(new Change(-1, key, put ? "PUT" : "DELETE"));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // back off while it is down
      }
      done.incrementAndGet();
    }
  }

  private void record(Change c) {
    Change prev = acked.putIfAbsent(c.revision(), c);
    if (prev != null) {
      failures.add(
          "two acknowledged changes with revision " + c.revision() + ": " + prev + ", " + c);
    }
  }

  /** Makes the writers stop after their current operation and waits for them. */
  public void stop() throws InterruptedException {
    issued.set(totalOps);
    join(60_000);
  }

  /** Waits for every writer to finish. */
  public void join(long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    for (Thread t : threads) {
      t.join(Math.max(1, deadline - System.currentTimeMillis()));
      if (t.isAlive()) {
        throw new AssertionError("writer " + t.getName() + " did not finish; done " + done.get());
      }
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(
          failures.size() + " writes failed unexpectedly, e.g. " + failures.peek());
    }
  }

  /** Operations finished so far (acknowledged or not). */
  public int done() {
    return done.get();
  }

  public Map<Long, Change> acked() {
    return acked;
  }

  public List<Change> unknown() {
    return new ArrayList<>(unknown);
  }

  public long maxAckedRevision() {
    return acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
  }
}
