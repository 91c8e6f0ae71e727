package dev.cairn.bench.load.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * HTTP/1.1 over {@link java.net.http.HttpClient}: one shared client whose pool holds at most as
 * many connections as there are requests in flight. Kept for comparison; it costs more CPU per
 * request than the other two (see README.md).
 */
public final class JdkHttpTransport implements HttpTransport {

  private final HttpClient client;
  private final ExecutorService executor;
  private final URI base;

  public JdkHttpTransport(URI base) {
    this.base = base;
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "bench-jdk-http");
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(executor)
            .build();
  }

  @Override
  public String name() {
    return "jdk-httpclient";
  }

  @Override
  public HttpConnection open() {
    return new Connection();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  private final class Connection implements HttpConnection {
    private volatile CompletableFuture<?> inFlight;

    @Override
    public void send(HttpCall call, HttpReply reply) {
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(call.path()));
      if (call.body() == null) {
        request.method(call.method(), BodyPublishers.noBody());
      } else {
        request.method(call.method(), BodyPublishers.ofByteArray(call.body()));
        if (call.contentType() != null) {
          request.header("Content-Type", call.contentType());
        }
      }
      inFlight =
          client
              .sendAsync(request.build(), BodyHandlers.ofByteArray())
              .whenComplete(
                  (HttpResponse<byte[]> response, Throwable failure) -> {
                    if (failure != null) {
                      Throwable cause =
                          failure instanceof CompletionException && failure.getCause() != null
                              ? failure.getCause()
                              : failure;
                      reply.onReply(-1, null, cause);
                    } else {
                      reply.onReply(response.statusCode(), response.body(), null);
                    }
                  });
    }

    @Override
    public void abort() {
      CompletableFuture<?> pending = inFlight;
      if (pending != null) {
        pending.cancel(true);
      }
    }

    @Override
    public void close() {
      abort();
    }
  }
}
