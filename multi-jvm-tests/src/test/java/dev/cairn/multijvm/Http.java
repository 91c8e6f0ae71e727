package dev.cairn.multijvm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Plain HTTP calls of the cluster tests: one client, answers as strings, polling with a deadline.
 */
final class Http {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private Http() {}

  static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> put(URI uri, String body) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(10))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(URI uri, String body) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> delete(URI uri) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * GETs {@code uri} every 100 ms until an answer matches {@code wanted}, and returns it; fails
   * with the last answer (or error) after {@code timeout}.
   */
  static HttpResponse<String> await(
      URI uri, Predicate<HttpResponse<String>> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (true) {
      try {
        HttpResponse<String> r = get(uri);
        if (wanted.test(r)) {
          return r;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "GET " + uri + " never answered as wanted in " + timeout + "; last: " + last);
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
