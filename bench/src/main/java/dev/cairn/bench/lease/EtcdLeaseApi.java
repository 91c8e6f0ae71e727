package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * etcd's lease API through its JSON gateway: grants ({@code POST <api>/lease/grant {"TTL":t}}),
 * batched keepalives ({@code POST <api>/lease/keepalive} with one {@code {"ID":...}} object per
 * line: the gateway feeds them one by one into one keepalive stream and writes one answer line per
 * lease, in order, {@code TTL} absent or 0 when the lease is gone), the list ({@code POST
 * <api>/lease/leases}) and single leases ({@code POST <api>/lease/timetolive}). 64-bit numbers are
 * JSON strings.
 */
final class EtcdLeaseApi {
  private static final String JSON = "application/json";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpTransport http;
  private final String api;
  private final PrintStream log;

  /**
   * @param api the gateway prefix, e.g. {@code /v3}
   */
  EtcdLeaseApi(HttpTransport http, String api, PrintStream log) {
    this.http = http;
    this.api = api;
    this.log = log;
  }

  private HttpCall post(String path, String body) {
    return HttpCall.post(api + path, body, JSON);
  }

  /** Grants {@code ids.length()} leases; see {@link Grants#grantAll}. */
  void grantAll(AtomicLongArray ids, AtomicLongArray grantedAt, int ttl, int concurrency)
      throws InterruptedException {
    Grants.grantAll(
        http,
        post("/lease/grant", "{\"TTL\":" + ttl + "}"),
        "\"ID\":",
        ids,
        grantedAt,
        concurrency,
        "etcd grant",
        log);
  }

  /** Renews the first {@code n} of {@code ids} in one request, and waits for the answer. */
  HttpAnswer keepalive(long[] ids, int n) throws Exception {
    return http.exchange(post("/lease/keepalive", keepaliveBody(ids, n)), TIMEOUT);
  }

  /** The body renewing {@code ids}: one {@code {"ID":"<id>"}} object per line. */
  static String keepaliveBody(long[] ids, int n) {
    StringBuilder b = new StringBuilder(n * 32);
    for (int i = 0; i < n; i++) {
      b.append("{\"ID\":\"").append(ids[i]).append("\"}\n");
    }
    return b.toString();
  }

  /**
   * Matches the answer lines of a keepalive request with the leases it renewed, in order: {@code
   * out[i]} is the TTL answered for {@code ids[i]}, 0 when the lease is gone, -1 when no answer for
   * it came (or a line named another lease).
   */
  static long[] keepaliveAnswers(String body, long[] ids, int n) {
    long[] out = new long[n];
    Arrays.fill(out, -1);
    int i = 0;
    for (String line : body.split("\n")) {
      if (!line.startsWith("{\"result\":") || i >= n) {
        continue;
      }
      long id = JsonScan.number(line, "\"ID\":", 0, -1);
      if (id != ids[i]) {
        break;
      }
      long t = JsonScan.number(line, "\"TTL\":", 0, -1);
      out[i++] = Math.max(0, t);
    }
    return out;
  }

  /** How many leases {@code POST <api>/lease/leases} lists, or -1. */
  long list() {
    return LeaseSample.listed(http, post("/lease/leases", "{}"), "{\"ID\":", log);
  }

  /** {@code POST <api>/lease/timetolive} of up to {@code sample} random granted leases. */
  LeaseSample sample(AtomicLongArray ids, int sample) {
    // an expired lease answers "TTL":"-1", which does not parse as a non-negative number
    return LeaseSample.take(
        http,
        ids,
        sample,
        id -> post("/lease/timetolive", "{\"ID\":\"" + id + "\"}"),
        r -> {
          long left = r.ok() ? JsonScan.number(r.text(), "\"TTL\":", 0, -1) : -1;
          return left > 0 ? left : -1;
        },
        log);
  }
}
