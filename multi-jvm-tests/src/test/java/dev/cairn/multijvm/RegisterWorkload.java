package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.multijvm.history.History;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Clients that read, write, delete and compare-and-set a few keys through Cairn's HTTP API as fast
 * as it answers, each recording every operation in one {@link History}, for the linearizability
 * check. Each operation goes to an endpoint picked at random from the current list (a cluster's
 * nodes, or one server across its restarts).
 *
 * <p>Outcomes: a 200 is the operation's result (a read's value, 404 {@code key_not_found} for an
 * absent key); a compare-and-set whose compare did not hold is a failed CAS; a read that got no
 * answer is left out (it changed nothing); a write, delete or CAS refused at connect is left out
 * (it never reached a server); one that got no answer or an error is of unknown outcome, since it
 * may have been committed before the error. Every written value is unique, so a read names the
 * write it saw.
 */
final class RegisterWorkload implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final History history = new History();
  private final Supplier<List<URI>> endpoints;
  private final List<String> keys;
  private final int clients;
  private final Duration timeout;
  private final long seed;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong acknowledgedWrites = new AtomicLong();
  private final AtomicLong okReads = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();
  private final ExecutorService threads;
  private final HttpClient http;
  private final List<java.util.concurrent.Future<?>> futures = new ArrayList<>();

  RegisterWorkload(
      Supplier<List<URI>> endpoints, int keys, int clients, Duration timeout, long seed) {
    this.endpoints = endpoints;
    this.keys = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      this.keys.add("reg/k" + i);
    }
    this.clients = clients;
    this.timeout = timeout;
    this.seed = seed;
    this.threads = Executors.newFixedThreadPool(clients + 1);
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .executor(threads)
            .build();
  }

  History history() {
    return history;
  }

  long acknowledgedWrites() {
    return acknowledgedWrites.get();
  }

  long okReads() {
    return okReads.get();
  }

  long unknownOutcomes() {
    return unknown.get();
  }

  /** Starts every client; they run until {@link #stop()}. */
  void start() {
    running.set(true);
    for (int c = 0; c < clients; c++) {
      int client = c;
      futures.add(threads.submit(() -> run(client, new Random(seed * 1_000 + client))));
    }
  }

  /** Stops the clients and waits until each has finished its operation in flight. */
  void stop() throws Exception {
    running.set(false);
    for (var f : futures) {
      f.get();
    }
  }

  /**
   * Reads every key once from each endpoint, recorded in the history: the final state the check
   * compares against every acknowledged write. A read that gets no answer (a node still recovering
   * a leader) is retried, for up to a minute per key and endpoint; then it fails.
   */
  void readAll(int client) {
    for (URI base : endpoints.get()) {
      for (String key : keys) {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!readRecorded(client, base, key, new String[1])) {
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException("no answer to a read of " + key + " on " + base);
          }
          java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
      }
    }
  }

  private void run(int client, Random random) {
    long n = 0;
    String lastSeen = null;
    while (running.get()) {
      List<URI> nodes = endpoints.get();
      if (nodes.isEmpty()) {
        // No server to talk to (one is restarting): back off rather than spin, which on a small
        // machine would starve the very server coming up.
        LockSupport.parkNanos(10_000_000L);
        continue;
      }
      URI base = nodes.get(random.nextInt(nodes.size()));
      String key = keys.get(random.nextInt(keys.size()));
      int dice = random.nextInt(100);
      String value = "c" + client + "-" + (++n);
      if (dice < 40) {
        String v = read(client, base, key);
        lastSeen = v != null ? v : lastSeen;
      } else if (dice < 75) {
        write(client, base, key, value);
      } else if (dice < 80) {
        delete(client, base, key);
      } else {
        cas(client, base, key, lastSeen != null ? lastSeen : value, value);
      }
    }
  }

  private String read(int client, URI base, String key) {
    String[] value = new String[1];
    readRecorded(client, base, key, value);
    return value[0];
  }

  /**
   * Reads {@code key} on {@code base}; returns whether the read got an answer (recorded, its value
   * in {@code value[0]}, null for an absent key) or not (left out of the history).
   */
  private boolean readRecorded(int client, URI base, String key, String[] value) {
    History.Pending op = history.read(client, key);
    try {
      HttpResponse<String> r = send(HttpRequest.newBuilder(kv(base, key)).GET());
      if (r.statusCode() == 200) {
        String v = JSON.readTree(r.body()).path("kv").path("value").asText();
        op.read(v);
        okReads.incrementAndGet();
        value[0] = v;
        return true;
      }
      if (r.statusCode() == 404 && r.body().contains("key_not_found")) {
        op.read(null);
        okReads.incrementAndGet();
        return true;
      }
      op.discard();
    } catch (Exception e) {
      op.discard();
    }
    return false;
  }

  private void write(int client, URI base, String key, String value) {
    History.Pending op = history.write(client, key, value);
    finishWrite(op, HttpRequest.newBuilder(kv(base, key)).PUT(body(value)));
  }

  private void delete(int client, URI base, String key) {
    History.Pending op = history.delete(client, key);
    try {
      HttpResponse<String> r = send(HttpRequest.newBuilder(kv(base, key)).DELETE());
      // Deleting an absent key is a successful no-op delete in the register model too.
      if (r.statusCode() == 200 || (r.statusCode() == 404 && r.body().contains("key_not_found"))) {
        op.ok();
        acknowledgedWrites.incrementAndGet();
      } else if (notExecuted(r)) {
        op.discard();
      } else {
        op.unknown();
        unknown.incrementAndGet();
      }
    } catch (java.net.ConnectException e) {
      op.discard(); // never reached a server
    } catch (Exception e) {
      op.unknown();
      unknown.incrementAndGet();
    }
  }

  private void cas(int client, URI base, String key, String expected, String value) {
    History.Pending op = history.cas(client, key, expected, value);
    ObjectNode txn = JSON.createObjectNode();
    ObjectNode cmp = txn.putArray("compare").addObject();
    cmp.put("key", key).put("target", "value").put("op", "=").put("value", expected);
    txn.putArray("success").addObject().putObject("put").put("key", key).put("value", value);
    try {
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(base.resolve("/v1/txn"))
                  .header("Content-Type", "application/json")
                  .POST(body(JSON.writeValueAsString(txn))));
      if (r.statusCode() == 200) {
        JsonNode reply = JSON.readTree(r.body());
        if (reply.path("succeeded").asBoolean()) {
          op.ok();
          acknowledgedWrites.incrementAndGet();
        } else {
          op.failed();
        }
      } else if (notExecuted(r)) {
        op.discard();
      } else {
        op.unknown();
        unknown.incrementAndGet();
      }
    } catch (java.net.ConnectException e) {
      op.discard(); // never reached a server
    } catch (Exception e) {
      op.unknown();
      unknown.incrementAndGet();
    }
  }

  private void finishWrite(History.Pending op, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = send(request);
      if (r.statusCode() == 200) {
        op.ok();
        acknowledgedWrites.incrementAndGet();
      } else if (notExecuted(r)) {
        op.discard();
      } else {
        op.unknown();
        unknown.incrementAndGet();
      }
    } catch (java.net.ConnectException e) {
      op.discard(); // never reached a server
    } catch (Exception e) {
      op.unknown();
      unknown.incrementAndGet();
    }
  }

  /**
   * True for an answer that says the request was never executed: 503 {@code cassandra_unreachable}
   * comes from a node that has not opened its API yet (it waits for Cassandra at start), before any
   * namespace is touched. A restarted cluster answers it quickly and often, and each such write
   * counted as of unknown outcome would only swell the history the checker must search.
   */
  private static boolean notExecuted(HttpResponse<String> r) {
    return r.statusCode() == 503 && r.body().contains("\"cassandra_unreachable\"");
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI kv(URI base, String key) {
    return base.resolve("/v1/kv/" + key);
  }

  private static HttpRequest.BodyPublisher body(String s) {
    return HttpRequest.BodyPublishers.ofString(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    running.set(false);
    threads.shutdownNow();
  }
}
