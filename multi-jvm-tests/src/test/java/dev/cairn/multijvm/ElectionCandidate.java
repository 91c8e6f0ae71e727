package dev.cairn.multijvm;

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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * One candidate process of the election proof: a lease of {@code ttl} seconds kept alive by a
 * thread of its own (five renewals per TTL), a campaign in election {@code election} with its label
 * as value ({@code POST /v1/elections/{election}}, retried after a {@code campaign_timeout}), and,
 * once elected, a fenced write of its token to {@code key} every {@code write-every-ms} ({@code
 * X-Cairn-Fence-Election}) until the process is killed or the stop file exists. A leader never
 * resigns: leadership ends only with the process.
 *
 * <p>History lines as {@link LockContender}'s ({@code <nanoTime> <label> 0 <event> <fields...>},
 * handed to the kernel before the next request): {@code lease L}, {@code campaign L}, {@code
 * elected T L}, {@code timeout L}, {@code lease-lost L} (it expired before the election: a new
 * lease and campaign follow), {@code ok T R} (a fenced write applied at revision R), {@code fenced
 * T}, {@code error <what> <detail>}, {@code exit}.
 *
 * <p>Arguments, {@code name=value}: {@code url}, {@code label}, {@code history}, {@code election},
 * {@code key}, {@code ttl}, {@code write-every-ms}, {@code stop}; {@code contenders} is ignored
 * (one candidate per process, so killing the process kills exactly one candidate).
 */
public final class ElectionCandidate {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long a campaign may wait at the server; below its 25 s maximum. */
  private static final long CAMPAIGN_TIMEOUT_MS = 20_000;

  private final URI base;
  private final String label;
  private final String election;
  private final String key;
  private final int ttl;
  private final long writeEveryMs;
  private final Path stop;
  private final BufferedWriter history;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private volatile long lease;

  private ElectionCandidate(Map<String, String> args) throws IOException {
    base = URI.create(args.get("url"));
    label = args.get("label");
    election = args.get("election");
    key = args.get("key");
    ttl = Integer.parseInt(args.get("ttl"));
    writeEveryMs = Long.parseLong(args.getOrDefault("write-every-ms", "200"));
    stop = Path.of(args.get("stop"));
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
    ElectionCandidate c = new ElectionCandidate(args);
    try {
      c.run();
    } catch (IOException e) {
      c.record("error", "io", oneLine(e.toString()));
    }
    c.record("exit");
    System.exit(0);
  }

  private void run() throws IOException, InterruptedException {
    newLease();
    Thread keepalive = new Thread(this::keepLeaseAlive, "keepalive");
    keepalive.setDaemon(true);
    keepalive.start();
    long token = 0;
    while (token == 0 && !Files.exists(stop)) {
      record("campaign", lease);
      HttpResponse<String> a =
          send(
              post(
                      "/v1/elections/" + election,
                      "{\"value\":\""
                          + label
                          + "\",\"lease\":"
                          + lease
                          + ",\"timeout_ms\":"
                          + CAMPAIGN_TIMEOUT_MS
                          + "}")
                  .timeout(Duration.ofMillis(CAMPAIGN_TIMEOUT_MS + 10_000)));
      if (a.statusCode() == 408) {
        record("timeout", lease);
      } else if (a.statusCode() == 404 && a.body().contains("lease_not_found")) {
        // A starved process can miss its renewals before it is elected: a new lease, a new place.
        record("lease-lost", lease);
        newLease();
      } else if (a.statusCode() == 200) {
        token = JSON.readTree(a.body()).path("fencing_token").asLong();
        record("elected", token, lease);
      } else {
        record("error", "campaign", a.statusCode() + " " + oneLine(a.body()));
        return;
      }
    }
    while (!Files.exists(stop)) {
      HttpResponse<String> w =
          send(
              HttpRequest.newBuilder(base.resolve("/v1/kv/" + key))
                  .timeout(Duration.ofSeconds(30))
                  .header("X-Cairn-Fence-Election", election + ":" + token)
                  .PUT(HttpRequest.BodyPublishers.ofString(label + " " + token)));
      if (w.statusCode() == 200) {
        record("ok", token, JSON.readTree(w.body()).path("revision").asLong());
      } else if (w.statusCode() == 412) {
        record("fenced", token);
      } else {
        record("error", "write", w.statusCode() + " " + oneLine(w.body()));
      }
      LockSupport.parkNanos(writeEveryMs * 1_000_000L);
    }
  }

  private void newLease() throws IOException, InterruptedException {
    HttpResponse<String> g = send(post("/v1/leases", "{\"ttl\":" + ttl + "}"));
    if (g.statusCode() != 200) {
      throw new IOException("lease grant answered " + g.statusCode() + ": " + g.body());
    }
    lease = JSON.readTree(g.body()).path("id").asLong();
    record("lease", lease);
  }

  /** Renews the lease five times per TTL; a failure is left to the next round. */
  private void keepLeaseAlive() {
    long interval = ttl * 1000L / 5;
    while (true) {
      LockSupport.parkNanos(interval * 1_000_000L);
      try {
        send(post("/v1/leases/" + lease + "/keepalive", "").timeout(Duration.ofSeconds(ttl)));
      } catch (IOException e) {
        // the next round tries again
      } catch (InterruptedException e) {
        return;
      }
    }
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

  private static String oneLine(String s) {
    return s.replace('\t', ' ').replace('\n', ' ');
  }

  /** Appends one history line and hands it to the kernel before returning. */
  private void record(String event, Object... fields) {
    StringBuilder sb = new StringBuilder();
    sb.append(System.nanoTime()).append('\t').append(label).append("\t0\t").append(event);
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
