package dev.cairn.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recipe holder run as a separate JVM by {@link KilledHolderTest}: grants a lease, acquires with
 * it, prints {@code HELD <grant JSON>}, and keeps the lease alive until killed.
 *
 * <p>Arguments: base URL (http://host:port), namespace prefix ({@code /v1/ns/x}), the recipe path
 * after it ({@code semaphores/name}), the acquisition's other JSON fields ({@code "permits": 2}),
 * TTL seconds.
 */
public final class HolderMain {
  private HolderMain() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      System.out.println("FAILED " + t);
      t.printStackTrace(System.out);
      System.out.flush();
      System.exit(2);
    }
  }

  private static void run(String[] args) throws Exception {
    String base = args[0] + args[1];
    String recipe = args[2];
    String fields = args[3];
    long ttl = Long.parseLong(args[4]);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    String grant = post(http, base + "/leases", "{\"ttl\": " + ttl + "}");
    Matcher m = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(grant);
    if (!m.find()) {
      throw new IllegalStateException("no lease id in " + grant);
    }
    long lease = Long.parseLong(m.group(1));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    timer.scheduleAtFixedRate(
        () -> {
          try {
            post(http, base + "/leases/" + lease + "/keepalive", null);
          } catch (Exception e) {
            System.out.println("KEEPALIVE " + e);
          }
        },
        0,
        Math.max(100, ttl * 1000 / 6),
        TimeUnit.MILLISECONDS);
    String held =
        post(
            http,
            base + "/" + recipe,
            "{" + fields + ", \"lease\": " + lease + ", \"timeout_ms\": 20000}");
    System.out.println("HELD " + held);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  private static String post(HttpClient http, String url, String body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .POST(
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }
}
