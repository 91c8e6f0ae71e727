package dev.cairn.http.services;

import dev.cairn.recipes.services.HealthChecker;
import dev.cairn.recipes.services.ServiceRegistry.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Probes HTTP checks with {@code java.net.http} on a small pool of its own daemon threads (never
 * the common pool, never Pekko's dispatcher): a GET with the check's timeout; 2xx is passing, 429
 * warning, anything else or no answer critical. Redirects are not followed (a 3xx is critical, as
 * it is for a load balancer's check).
 */
final class HttpProber implements HealthChecker.Prober, AutoCloseable {
  private final ExecutorService pool;
  private final HttpClient http;

  HttpProber(int threads) {
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "cairn-health-probe-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.http =
        HttpClient.newBuilder()
            .executor(pool)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  @Override
  public CompletionStage<HealthChecker.Result> probe(String url, Duration timeout) {
    HttpRequest req;
    try {
      req =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(timeout)
              .header("User-Agent", "Cairn health check")
              .GET()
              .build();
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(
          new HealthChecker.Result(Status.CRITICAL, "bad url: " + e.getMessage()));
    }
    return http.sendAsync(req, HttpResponse.BodyHandlers.discarding())
        .handle(
            (resp, err) -> {
              if (err != null) {
                Throwable c =
                    err instanceof CompletionException && err.getCause() != null
                        ? err.getCause()
                        : err;
                return new HealthChecker.Result(
                    Status.CRITICAL,
                    "no answer: "
                        + c.getClass().getSimpleName()
                        + (c.getMessage() == null ? "" : " " + c.getMessage()));
              }
              return result(resp.statusCode());
            });
  }

  static HealthChecker.Result result(int code) {
    Status s =
        code >= 200 && code < 300 ? Status.PASSING : code == 429 ? Status.WARNING : Status.CRITICAL;
    return new HealthChecker.Result(s, "HTTP " + code);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
