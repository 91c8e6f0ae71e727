package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent writers, each on its own keep-alive HTTP/1.1 connection, each putting fresh keys
 * {@code d/wNN/NNNNNNN} with unique values as fast as the server answers, recording every write in
 * a {@link Ledger}. A writer stops at {@link #stop()} or when the server goes away (an IO error).
 */
final class WriteLoad {
  static final String PREFIX = "d/";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CairnProcess server;
  private final Ledger ledger;
  private final int cycle;
  private final long seed;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicBoolean signalled = new AtomicBoolean();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger acked = new AtomicInteger();
  private final AtomicInteger ioErrors = new AtomicInteger();
  private final AtomicInteger non200 = new AtomicInteger();
  private final java.util.Map<String, Integer> failures =
      new java.util.concurrent.ConcurrentHashMap<>();

  WriteLoad(CairnProcess server, Ledger ledger, int writers, int cycle, long seed) {
    this.server = server;
    this.ledger = ledger;
    this.cycle = cycle;
    this.seed = seed;
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> run(writer), "writer-" + cycle + "-" + w);
      t.setDaemon(true);
      threads.add(t);
    }
  }

  static String key(int writer, long n) {
    return String.format("%sw%02d/%07d", PREFIX, writer, n);
  }

  WriteLoad start() {
    threads.forEach(Thread::start);
    return this;
  }

  /**
   * From now on the server is being killed or stopped: IO errors and non-200 answers are expected
   * and no longer anomalies.
   */
  void serverSignalled() {
    signalled.set(true);
  }

  void stop() {
    stop.set(true);
  }

  /** Waits for every writer to finish; fails if one is still running at the deadline. */
  void join(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      t.join(left);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " still running after " + timeout);
      }
    }
  }

  int sent() {
    return sent.get();
  }

  int acked() {
    return acked.get();
  }

  int ioErrors() {
    return ioErrors.get();
  }

  /** How the writes that were not acknowledged ended: IO error text or status, with counts. */
  java.util.Map<String, Integer> failures() {
    return new java.util.TreeMap<>(failures);
  }

  int non200() {
    return non200.get();
  }

  private void run(int writer) {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    Random random = new Random(seed * 31 + writer * 1_000_003L + cycle);
    while (!stop.get()) {
      long n = ledger.nextN(writer);
      String key = key(writer, n);
      String value =
          String.format(
              "writer=%02d n=%d cycle=%d seed=%d nonce=%016x",
              writer, n, cycle, seed, random.nextLong());
      ledger.sent.put(key, new Ledger.Write(key, value, writer, cycle));
      sent.incrementAndGet();
      URI uri = server.uri("/v1/kv/" + key);
      HttpRequest put =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(15))
              .header("Content-Type", "application/octet-stream")
              .PUT(HttpRequest.BodyPublishers.ofString(value))
              .build();
      HttpResponse<String> r;
      try {
        r = client.send(put, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        ioErrors.incrementAndGet();
        failures.merge(e.toString(), 1, Integer::sum);
        if (!signalled.get()) {
          ledger.anomalies.add("PUT " + key + " failed before any signal: " + e);
        }
        return; // the server is gone (or unreachable): this writer is done
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (r.statusCode() != 200) {
        non200.incrementAndGet();
        failures.merge("HTTP " + r.statusCode(), 1, Integer::sum);
        if (!signalled.get()) {
          ledger.anomalies.add("PUT " + key + " answered " + r.statusCode() + ": " + r.body());
        }
        continue;
      }
      try {
        JsonNode body = JSON.readTree(r.body());
        long revision = body.path("revision").asLong(-1);
        long modRevision = body.path("kv").path("mod_revision").asLong(-1);
        if (revision <= 0 || modRevision != revision) {
          ledger.anomalies.add(
              "PUT "
                  + key
                  + " acknowledged with revision "
                  + revision
                  + " and kv.mod_revision "
                  + modRevision
                  + ": "
                  + r.body());
        }
        ledger.recordAck(key, revision);
        acked.incrementAndGet();
      } catch (IOException e) {
        ledger.anomalies.add(
            "PUT " + key + " answered 200 with a body that is not JSON: " + r.body());
      }
    }
  }
}
