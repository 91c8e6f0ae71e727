package dev.cairn.bench.load.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One logical keep-alive connection; connects lazily and again after a failure. */
public interface HttpConnection extends AutoCloseable {

  /** Sends {@code call}; the previous call on this connection must have completed. */
  void send(HttpCall call, HttpReply reply);

  /** Drops the outstanding call, closing the underlying connection if there is one. */
  void abort();

  @Override
  void close();

  /** A completed exchange, for the few blocking calls made while setting up. */
  record Response(int status, byte[] body) {}

  /** Sends {@code call} and waits for its response. */
  default Response exchange(HttpCall call, long timeoutMillis) throws Exception {
    CompletableFuture<Response> future = new CompletableFuture<>();
    send(
        call,
        (status, body, failure) -> {
          if (failure != null) {
            future.completeExceptionally(failure);
          } else {
            future.complete(new Response(status, body));
          }
        });
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      abort();
      throw e;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
