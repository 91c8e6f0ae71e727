package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * One client process of the recipe proofs ({@link QueueDeliveryIT}, {@link BarrierCounterIT}):
 * {@code contenders} threads in one {@code role}.
 *
 * <ul>
 *   <li>{@code producer}: each thread pushes {@code items} values {@code <label>-<thread>-<n>}
 *       ({@code POST /v1/queues/{queue}}), pausing up to {@code pause-ms} between pushes, then
 *       ends.
 *   <li>{@code consumer}: each thread loops take ({@code POST …/take} with {@code {"lease": L}}) →
 *       work for {@code hold-min-ms}..{@code hold-max-ms} → ack ({@code DELETE
 *       …/claims/{id}?token=T}) until the stop file exists and a take found nothing.
 *   <li>{@code member}: each thread enters double barrier {@code barrier} with {@code count} once
 *       ({@code POST /v1/barriers/{barrier}/enter}), waits for the stop file, leaves and ends.
 *   <li>{@code holder}: one thread holds simple barrier {@code barrier} ({@code PUT …/hold} with
 *       its lease) until the stop file exists, then releases it.
 *   <li>{@code waiter}: each thread waits once on simple barrier {@code barrier} ({@code POST
 *       …/wait}) until it is released.
 *   <li>{@code adder}: each thread adds 1 to counter {@code counter} {@code items} times.
 * </ul>
 *
 * <p>Consumers, members and holders have a lease each, renewed five times per TTL by one keepalive
 * thread. Every step is appended to the history file as one tab-separated line, handed to the
 * kernel before the next request (a {@code kill -9} loses nothing written): {@code
 * <System.nanoTime()> <label> <thread> <event> <fields...>}. Events: {@code lease L}, {@code
 * renewed L sentNanos} (a keepalive of L sent at sentNanos was answered 200: L lives at least TTL
 * past it), {@code lease-lost L}; {@code push-sent v}, {@code pushed v id}, {@code took id token L
 * v}, {@code timeout L}, {@code ack-sent id token}, {@code acked id token R} (acked at revision R),
 * {@code not-claimed id token}; {@code enter-sent L}, {@code entered L round}, {@code leave-sent
 * L}, {@code left L R}; {@code held L R}, {@code wait-sent}, {@code open R}; {@code added value R};
 * {@code error <what> <detail>}, {@code exit}.
 *
 * <p>Arguments, {@code name=value}: {@code url}, {@code role}, {@code contenders}, {@code history},
 * {@code stop}, {@code label}, {@code seed}, {@code ttl} (seconds), {@code queue}, {@code items},
 * {@code pause-ms}, {@code hold-min-ms}, {@code hold-max-ms}, {@code take-timeout-ms}, {@code
 * barrier}, {@code count}, {@code counter}.
 */
public final class RecipeWorker {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String queue;
  private final String barrier;
  private final int count;
  private final String counter;
  private final int ttl;
  private final long holdMinMs;
  private final long holdMaxMs;
  private final long takeTimeoutMs;
  private final int items;
  private final long pauseMs;
  private final Path stop;
  private final String label;
  private final long seed;
  private final BufferedWriter history;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Each thread's current lease, which the keepalive thread renews. */
  private final Map<Integer, Long> leases = new ConcurrentHashMap<>();

  private RecipeWorker(Map<String, String> args) throws IOException {
    base = URI.create(args.get("url"));
    queue = args.get("queue");
    barrier = args.get("barrier");
    count = Integer.parseInt(args.getOrDefault("count", "0"));
    counter = args.get("counter");
    ttl = Integer.parseInt(args.getOrDefault("ttl", "2"));
    holdMinMs = Long.parseLong(args.getOrDefault("hold-min-ms", "0"));
    holdMaxMs = Long.parseLong(args.getOrDefault("hold-max-ms", "5"));
    takeTimeoutMs = Long.parseLong(args.getOrDefault("take-timeout-ms", "1000"));
    items = Integer.parseInt(args.getOrDefault("items", "0"));
    pauseMs = Long.parseLong(args.getOrDefault("pause-ms", "0"));
    stop = Path.of(args.get("stop"));
    label = args.get("label");
    seed = Long.parseLong(args.getOrDefault("seed", "1"));
    history =
        Files.newBufferedWriter(
            Path.of(args.get("history")),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    RecipeWorker w = new RecipeWorker(args);
    int n = Integer.parseInt(args.get("contenders"));
    String role = args.get("role");
    if (List.of("consumer", "member", "holder").contains(role)) {
      Thread keepalive = new Thread(w::keepLeasesAlive, "keepalive");
      keepalive.setDaemon(true);
      keepalive.start();
    }
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      Thread t = new Thread(() -> w.run(id, role), role + "-" + i);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    w.record(-1, "exit");
    System.exit(0);
  }

  private void run(int id, String role) {
    try {
      switch (role) {
        case "producer" -> produce(id);
        case "consumer" -> consume(id);
        case "member" -> member(id);
        case "holder" -> hold(id);
        case "waiter" -> await(id);
        case "adder" -> add(id);
        default -> throw new IllegalStateException("unhandled role " + role);
      }
    } catch (IOException e) {
      record(id, "error", "io", oneLine(e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- producer

  private void produce(int id) throws IOException, InterruptedException {
    Random random = new Random(seed * 1_000_003L + id);
    for (int n = 0; n < items; n++) {
      String value = label + "-" + id + "-" + n;
      record(id, "push-sent", value);
      HttpResponse<String> r =
          send(post(path(""), "{\"value\":" + JSON.writeValueAsString(value) + "}"));
      if (r.statusCode() != 201) {
        record(id, "error", "push", r.statusCode() + " " + oneLine(r.body()));
        continue;
      }
      record(id, "pushed", value, JSON.readTree(r.body()).path("id").asLong());
      if (pauseMs > 0) {
        LockSupport.parkNanos(random.nextLong(pauseMs + 1) * 1_000_000L);
      }
    }
  }

  // ---------------------------------------------------------------- consumer

  private void consume(int id) throws IOException, InterruptedException {
    Random random = new Random(seed * 1_000_003L + id);
    long lease = newLease(id);
    while (true) {
      HttpResponse<String> t =
          send(
              post(path("/take"), "{\"lease\":" + lease + ",\"timeout_ms\":" + takeTimeoutMs + "}")
                  .timeout(Duration.ofMillis(takeTimeoutMs + 20_000)));
      if (t.statusCode() == 408) {
        record(id, "timeout", lease);
        if (Files.exists(stop)) {
          return;
        }
        continue;
      }
      if (t.statusCode() == 404 && "lease_not_found".equals(code(t))) {
        record(id, "lease-lost", lease);
        lease = newLease(id);
        continue;
      }
      if (t.statusCode() != 200) {
        record(id, "error", "take", t.statusCode() + " " + oneLine(t.body()));
        continue;
      }
      JsonNode d = JSON.readTree(t.body());
      long item = d.path("id").asLong();
      long token = d.path("token").asLong();
      record(id, "took", item, token, lease, d.path("value").asText());
      long hold = holdMinMs + (holdMaxMs > holdMinMs ? random.nextLong(holdMaxMs - holdMinMs) : 0);
      if (hold > 0) {
        LockSupport.parkNanos(hold * 1_000_000L); // the item's processing
      }
      record(id, "ack-sent", item, token);
      HttpResponse<String> a =
          send(
              HttpRequest.newBuilder(base.resolve(path("/claims/" + item + "?token=" + token)))
                  .timeout(Duration.ofSeconds(30))
                  .DELETE());
      if (a.statusCode() == 200) {
        record(id, "acked", item, token, JSON.readTree(a.body()).path("revision").asLong());
      } else if (a.statusCode() == 409 && "not_claimed".equals(code(a))) {
        record(id, "not-claimed", item, token);
      } else {
        record(id, "error", "ack", a.statusCode() + " " + oneLine(a.body()));
      }
    }
  }

  // ---------------------------------------------------------------- barriers and counter

  private void member(int id) throws IOException, InterruptedException {
    long lease = newLease(id);
    while (true) {
      record(id, "enter-sent", lease);
      HttpResponse<String> e =
          send(
              post(
                      "/v1/barriers/" + barrier + "/enter",
                      "{\"count\":" + count + ",\"lease\":" + lease + ",\"timeout_ms\":20000}")
                  .timeout(Duration.ofSeconds(50)));
      if (e.statusCode() == 200) {
        record(id, "entered", lease, JSON.readTree(e.body()).path("round").asLong());
        break;
      } else if (e.statusCode() == 408) {
        record(id, "timeout", lease);
      } else {
        record(id, "error", "enter", e.statusCode() + " " + oneLine(e.body()));
        return;
      }
    }
    awaitStop();
    record(id, "leave-sent", lease);
    HttpResponse<String> l =
        send(
            post(
                    "/v1/barriers/" + barrier + "/leave",
                    "{\"lease\":" + lease + ",\"timeout_ms\":20000}")
                .timeout(Duration.ofSeconds(50)));
    if (l.statusCode() == 200) {
      record(id, "left", lease, JSON.readTree(l.body()).path("revision").asLong());
    } else {
      record(id, "error", "leave", l.statusCode() + " " + oneLine(l.body()));
    }
  }

  private void hold(int id) throws IOException, InterruptedException {
    long lease = newLease(id);
    HttpResponse<String> h =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/barriers/" + barrier + "/hold"))
                .timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"lease\":" + lease + "}")));
    if (h.statusCode() != 200) {
      record(id, "error", "hold", h.statusCode() + " " + oneLine(h.body()));
      return;
    }
    record(id, "held", lease, JSON.readTree(h.body()).path("revision").asLong());
    awaitStop();
    send(
        HttpRequest.newBuilder(base.resolve("/v1/barriers/" + barrier + "/hold"))
            .timeout(Duration.ofSeconds(30))
            .DELETE());
  }

  private void await(int id) throws IOException, InterruptedException {
    while (true) {
      record(id, "wait-sent");
      HttpResponse<String> w =
          send(
              post("/v1/barriers/" + barrier + "/wait", "{\"timeout_ms\":20000}")
                  .timeout(Duration.ofSeconds(50)));
      if (w.statusCode() == 200) {
        record(id, "open", JSON.readTree(w.body()).path("revision").asLong());
        return;
      } else if (w.statusCode() != 408) {
        record(id, "error", "wait", w.statusCode() + " " + oneLine(w.body()));
        return;
      }
    }
  }

  private void add(int id) throws IOException, InterruptedException {
    for (int n = 0; n < items; n++) {
      HttpResponse<String> a = send(post("/v1/counters/" + counter, "{\"delta\":1}"));
      if (a.statusCode() != 200) {
        record(id, "error", "add", a.statusCode() + " " + oneLine(a.body()));
        continue;
      }
      JsonNode v = JSON.readTree(a.body());
      record(id, "added", v.path("value").asLong(), v.path("revision").asLong());
    }
  }

  private void awaitStop() {
    while (!Files.exists(stop)) {
      LockSupport.parkNanos(10_000_000L);
    }
  }

  private long newLease(int id) throws IOException, InterruptedException {
    HttpResponse<String> g = send(post("/v1/leases", "{\"ttl\":" + ttl + "}"));
    if (g.statusCode() != 200) {
      throw new IOException("lease grant answered " + g.statusCode() + ": " + g.body());
    }
    long lease = JSON.readTree(g.body()).path("id").asLong();
    leases.put(id, lease);
    record(id, "lease", lease);
    return lease;
  }

  /**
   * Renews every thread's lease five times per TTL, all at once, recording each renewal with the
   * time its request was sent: the lease lives at least TTL past that time.
   */
  private void keepLeasesAlive() {
    long interval = ttl * 1000L / 5;
    while (true) {
      LockSupport.parkNanos(interval * 1_000_000L);
      List<CompletableFuture<?>> round = new ArrayList<>();
      for (Map.Entry<Integer, Long> e : leases.entrySet()) {
        HttpRequest keepalive =
            post("/v1/leases/" + e.getValue() + "/keepalive", "")
                .timeout(Duration.ofSeconds(ttl))
                .build();
        long sent = System.nanoTime();
        round.add(
            http.sendAsync(keepalive, HttpResponse.BodyHandlers.ofString())
                .thenAccept(
                    r -> {
                      if (r.statusCode() == 200) {
                        record(e.getKey(), "renewed", e.getValue(), sent);
                      } else if (r.statusCode() == 404) {
                        leases.remove(e.getKey(), e.getValue());
                      }
                    }));
      }
      CompletableFuture.allOf(round.toArray(new CompletableFuture<?>[0]))
          .exceptionally(t -> null)
          .join();
    }
  }

  // ---------------------------------------------------------------- plumbing

  private String path(String rest) {
    return "/v1/queues/" + queue + rest;
  }

  private HttpRequest.Builder post(String path, String body) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder b)
      throws IOException, InterruptedException {
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String code(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body()).path("code").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private static String oneLine(String s) {
    return s.replace('\t', ' ').replace('\n', ' ');
  }

  /** Appends one history line and hands it to the kernel before returning. */
  private void record(int thread, String event, Object... fields) {
    StringBuilder sb = new StringBuilder();
    sb.append(System.nanoTime()).append('\t').append(label).append('\t').append(thread);
    sb.append('\t').append(event);
    for (Object f : fields) {
      sb.append('\t').append(f);
    }
    sb.append('\n');
    synchronized (history) {
      try {
        history.write(sb.toString());
        history.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
