package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
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
 * One client process of the lock proofs: {@code contenders} threads, each with a lease of its own
 * kept alive by one keepalive thread, looping
 *
 * <ol>
 *   <li>acquire: {@code POST /v1/locks/{lock}} with {@code {"lease": L}};
 *   <li>read the counter ({@code GET /v1/kv/{counter}}, value {@code "<count> <token>"}), hold for
 *       a while (the critical section), then write {@code count + 1} with {@code X-Cairn-Fence:
 *       <lock>:<token>};
 *   <li>release: {@code DELETE /v1/locks/{lock}?token=T};
 * </ol>
 *
 * until the stop file exists. Every step is appended to the history file as one line, written
 * through to the kernel before the next request (a {@code kill -9} loses nothing written): {@code
 * <System.nanoTime()> <label> <contender> <event> <fields...>}, tab-separated. {@code nanoTime} is
 * the kernel's monotonic clock on Linux, the same in every process of the machine, so the test
 * compares these times with its own (a kill, a SIGSTOP).
 *
 * <p>Events: {@code lease L}, {@code grant T L}, {@code timeout L}, {@code lease-lost L}, {@code
 * read T n}, {@code write T n}, {@code ok T n R} (written at revision R), {@code fenced T n},
 * {@code unknown T n} (no answer: the write may or may not have happened), {@code release T},
 * {@code released T}, {@code not-holder T}, {@code error <what> <detail>}, {@code exit}.
 *
 * <p>Arguments, {@code name=value}: {@code url}, {@code lock}, {@code counter}, {@code contenders},
 * {@code ttl} (seconds), {@code hold-min-ms}, {@code hold-max-ms}, {@code history}, {@code stop},
 * {@code label}, {@code seed}, {@code fence} ({@code false} writes without the fence: the negative
 * control of the proofs).
 */
public final class LockContender {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long an acquisition may wait at the server; below its 25 s maximum. */
  static final long ACQUIRE_TIMEOUT_MS = 20_000;

  private final URI base;
  private final String lock;
  private final String counter;
  private final int ttl;
  private final long holdMinMs;
  private final long holdMaxMs;
  private final Path stop;
  private final String label;
  private final long seed;
  private final boolean fence;
  private final BufferedWriter history;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Each contender's current lease, which the keepalive thread renews. */
  private final Map<Integer, Long> leases = new ConcurrentHashMap<>();

  private LockContender(Map<String, String> args) throws IOException {
    base = URI.create(args.get("url"));
    lock = args.get("lock");
    counter = args.get("counter");
    ttl = Integer.parseInt(args.get("ttl"));
    holdMinMs = Long.parseLong(args.getOrDefault("hold-min-ms", "0"));
    holdMaxMs = Long.parseLong(args.getOrDefault("hold-max-ms", "5"));
    stop = Path.of(args.get("stop"));
    label = args.get("label");
    seed = Long.parseLong(args.getOrDefault("seed", "1"));
    fence = Boolean.parseBoolean(args.getOrDefault("fence", "true"));
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
    LockContender c = new LockContender(args);
    int n = Integer.parseInt(args.get("contenders"));
    Thread keepalive = new Thread(c::keepLeasesAlive, "keepalive");
    keepalive.setDaemon(true);
    keepalive.start();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      Thread t = new Thread(() -> c.contend(id), "contender-" + i);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    c.record(-1, "exit");
    System.exit(0);
  }

  // ---------------------------------------------------------------- the loop

  private void contend(int id) {
    Random random = new Random(seed * 1_000_003L + id);
    try {
      long lease = newLease(id);
      while (!Files.exists(stop)) {
        HttpResponse<String> a =
            send(
                post(
                        "/v1/locks/" + lock,
                        "{\"lease\":" + lease + ",\"timeout_ms\":" + ACQUIRE_TIMEOUT_MS + "}")
                    .timeout(Duration.ofMillis(ACQUIRE_TIMEOUT_MS + 10_000)));
        if (a.statusCode() == 408) {
          record(id, "timeout", lease);
          continue;
        }
        if (a.statusCode() == 404 && "lease_not_found".equals(code(a))) {
          record(id, "lease-lost", lease);
          lease = newLease(id);
          continue;
        }
        if (a.statusCode() != 200) {
          record(id, "error", "acquire", a.statusCode() + " " + oneLine(a.body()));
          continue;
        }
        long token = JSON.readTree(a.body()).path("fencing_token").asLong();
        record(id, "grant", token, lease);

        HttpResponse<String> r = send(get("/v1/kv/" + counter));
        long count;
        if (r.statusCode() == 404) {
          count = 0;
        } else if (r.statusCode() == 200) {
          String value = JSON.readTree(r.body()).path("kv").path("value").asText();
          count = Long.parseLong(value.substring(0, value.indexOf(' ')));
        } else {
          record(id, "error", "read", r.statusCode() + " " + oneLine(r.body()));
          release(id, token);
          continue;
        }
        record(id, "read", token, count);
        long hold =
            holdMinMs + (holdMaxMs > holdMinMs ? random.nextLong(holdMaxMs - holdMinMs) : 0);
        if (hold > 0) {
          LockSupport.parkNanos(hold * 1_000_000L); // the critical section's work
        }
        long next = count + 1;
        record(id, "write", token, next);
        HttpResponse<String> w;
        try {
          HttpRequest.Builder put =
              HttpRequest.newBuilder(base.resolve("/v1/kv/" + counter))
                  .timeout(Duration.ofSeconds(30))
                  .PUT(HttpRequest.BodyPublishers.ofString(next + " " + token));
          w = send(fence ? put.header("X-Cairn-Fence", lock + ":" + token) : put);
        } catch (IOException e) {
          record(id, "unknown", token, next);
          release(id, token);
          continue;
        }
        if (w.statusCode() == 200) {
          record(id, "ok", token, next, JSON.readTree(w.body()).path("revision").asLong());
        } else if (w.statusCode() == 412 && "fenced".equals(code(w))) {
          record(id, "fenced", token, next);
        } else {
          record(id, "error", "write", w.statusCode() + " " + oneLine(w.body()));
        }
        release(id, token);
      }
    } catch (IOException e) {
      record(id, "error", "io", oneLine(e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void release(int id, long token) throws IOException, InterruptedException {
    record(id, "release", token);
    HttpResponse<String> d =
        send(
            HttpRequest.newBuilder(
                    base.resolve(
                        "/v1/locks/"
                            + lock
                            + "?token="
                            + URLEncoder.encode(Long.toString(token), StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30))
                .DELETE());
    if (d.statusCode() == 200) {
      record(id, "released", token);
    } else if (d.statusCode() == 409 && "not_holder".equals(code(d))) {
      record(id, "not-holder", token);
    } else {
      record(id, "error", "release", d.statusCode() + " " + oneLine(d.body()));
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
   * Renews every contender's lease five times per TTL, all at once (one slow answer must not delay
   * the others); a lease that is gone is dropped, and its contender finds out on its next request.
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
        round.add(
            http.sendAsync(keepalive, HttpResponse.BodyHandlers.ofString())
                .thenAccept(
                    r -> {
                      if (r.statusCode() == 404) {
                        leases.remove(e.getKey(), e.getValue());
                      }
                    }));
      }
      // Failures are left to the next round; a lease that expires meanwhile shows as lease-lost.
      CompletableFuture.allOf(round.toArray(new CompletableFuture<?>[0]))
          .exceptionally(t -> null)
          .join();
    }
  }

  // ---------------------------------------------------------------- plumbing

  private HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET();
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
      JsonNode n = JSON.readTree(r.body());
      return n.path("code").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private static String oneLine(String s) {
    return s.replace('\t', ' ').replace('\n', ' ');
  }

  /** Appends one history line and hands it to the kernel before returning. */
  private void record(int contender, String event, Object... fields) {
    StringBuilder sb = new StringBuilder();
    sb.append(System.nanoTime()).append('\t').append(label).append('\t').append(contender);
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
