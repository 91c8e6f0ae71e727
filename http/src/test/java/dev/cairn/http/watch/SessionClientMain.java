package dev.cairn.http.watch;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A session client run as a separate JVM by {@link SessionTest}: opens a session socket, grants a
 * lease, puts keys bound to it, prints {@code READY <lease id>} and heart-beats until killed.
 *
 * <p>Arguments: base URL (http://host:port), key prefix, TTL seconds, number of keys.
 */
public final class SessionClientMain {
  private SessionClientMain() {}

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
    String base = args[0];
    String prefix = args[1];
    long ttl = Long.parseLong(args[2]);
    int keys = Integer.parseInt(args[3]);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    CompletableFuture<String> granted = new CompletableFuture<>();
    StringBuilder partial = new StringBuilder();
    WebSocket ws =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create("ws" + base.substring(4) + "/v1/watch"),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                      String msg = partial.toString();
                      partial.setLength(0);
                      if (msg.contains("lease_granted")) {
                        granted.complete(msg);
                      } else if (msg.contains("error") || msg.contains("lease_expired")) {
                        System.out.println("SERVER " + msg);
                        granted.completeExceptionally(new IllegalStateException(msg));
                      }
                    }
                    w.request(1);
                    return null;
                  }

                  @Override
                  public void onError(WebSocket w, Throwable error) {
                    System.out.println("SOCKET ERROR " + error);
                    granted.completeExceptionally(error);
                  }
                })
            .get(10, TimeUnit.SECONDS);
    ws.sendText("{\"lease_grant\":{\"ttl\":" + ttl + "}}", true).get(5, TimeUnit.SECONDS);
    String reply = granted.get(10, TimeUnit.SECONDS);
    Matcher m = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(reply);
    if (!m.find()) {
      throw new IllegalStateException("no lease id in " + reply);
    }
    long lease = Long.parseLong(m.group(1));
    // Heart-beat from the grant on, so the session outlives a slow start of this JVM.
    long period = Math.max(100, ttl * 1000 / 6);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    timer.scheduleAtFixedRate(
        () -> ws.sendText("{\"heartbeat\":{}}", true).join(), 0, period, TimeUnit.MILLISECONDS);
    for (int i = 0; i < keys; i++) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/kv/" + prefix + i + "?lease=" + lease))
                  .PUT(HttpRequest.BodyPublishers.ofString("alive"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("put failed: " + r.statusCode() + " " + r.body());
      }
    }
    System.out.println("READY " + lease);
    System.out.flush();
    // Heart-beat until killed.
    new CountDownLatch(1).await();
  }
}
