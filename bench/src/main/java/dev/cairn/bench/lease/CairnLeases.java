package dev.cairn.bench.lease;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Cairn's lease API over HTTP: grants ({@code POST /v1/leases}), keepalives ({@code POST
 * /v1/leases/{id}/keepalive}), the list ({@code GET /v1/leases}) and single leases ({@code GET
 * /v1/leases/{id}}), on the pooled connections of one {@link HttpTransport}.
 */
final class CairnLeases {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String JSON = "application/json";

  private final HttpTransport http;
  private final PrintStream log;

  CairnLeases(HttpTransport http, PrintStream log) {
    this.http = http;
    this.log = log;
  }

  /**
   * Grants {@code ids.length()} leases of {@code ttl} seconds with {@code concurrency} in flight;
   * lease i's id goes to {@code ids[i]} (0 when its grant failed), its grant time to {@code
   * grantedAt[i]}.
   */
  void grantAll(AtomicLongArray ids, AtomicLongArray grantedAt, int ttl, int concurrency)
      throws InterruptedException {
    Grants.grantAll(
        http,
        HttpCall.post("/v1/leases", "{\"ttl\":" + ttl + "}", JSON),
        "\"id\":",
        ids,
        grantedAt,
        concurrency,
        "grant",
        log);
  }

  /** Renews lease {@code id}. */
  CompletableFuture<HttpAnswer> keepalive(long id) {
    return http.request(
        HttpCall.post("/v1/leases/" + id + "/keepalive", new byte[0], null), TIMEOUT);
  }

  /** How many leases {@code GET /v1/leases} lists, or -1. */
  long list() {
    return LeaseSample.listed(http, HttpCall.get("/v1/leases"), "{\"id\":", log);
  }

  /** {@code GET /v1/leases/{id}} of up to {@code sample} random granted leases. */
  LeaseSample sample(AtomicLongArray ids, int sample) {
    return LeaseSample.take(
        http,
        ids,
        sample,
        id -> HttpCall.get("/v1/leases/" + id),
        r -> r.ok() ? Math.max(0, JsonScan.longAfter(r.text(), "\"ttl\":", 0)) : -1,
        log);
  }
}
