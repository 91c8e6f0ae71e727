package dev.cairn.bench.watch;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@code java.net.http} WebSocket speaking one JSON object per text frame: whole frames go to a
 * {@link Handler} on the client's reader thread, one at a time, and {@link #send} may be called
 * from any thread (the JDK refuses a send while another is pending, so sends are queued and chained
 * here).
 *
 * <p>Shared by {@code dev.cairn.bench.watch} and {@code dev.cairn.bench.lease}.
 */
public final class TextSocket implements WebSocket.Listener {

  /** Receives whole text frames, one at a time, on the client's thread. */
  public interface Handler {
    void onMessage(String text);

    default void onClosed(int status, String reason) {}

    default void onError(Throwable t) {}
  }

  private static final long DEMAND_BATCH = 256;

  private final Handler handler;
  private final StringBuilder partial = new StringBuilder();
  private final ArrayDeque<String> outbox = new ArrayDeque<>();
  private final AtomicLong sent = new AtomicLong();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile WebSocket ws;
  private volatile Throwable failure;
  private boolean sending;
  private long credit;

  private TextSocket(Handler handler) {
    this.handler = handler;
  }

  /** Opens {@code uri} (ws://...) with {@code client}. */
  public static CompletableFuture<TextSocket> open(HttpClient client, URI uri, Handler handler) {
    TextSocket s = new TextSocket(handler);
    return client
        .newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(30))
        .buildAsync(uri, s)
        .thenApply(
            ws -> {
              s.ws = ws;
              return s;
            });
  }

  /** Queues {@code text} as one frame; frames go out in the order of the calls. */
  public void send(String text) {
    synchronized (this) {
      outbox.add(text);
      if (sending) {
        return;
      }
      sending = true;
    }
    drain();
  }

  /** Frames handed to the socket so far. */
  public long sent() {
    return sent.get();
  }

  public Throwable failure() {
    return failure;
  }

  /** Completes when the server closed the socket or it failed. */
  public CompletableFuture<Void> closedFuture() {
    return closed;
  }

  /** Starts a normal close; the returned stage completes when the close frame went out. */
  public CompletableFuture<?> close() {
    WebSocket w = ws;
    if (w == null || w.isOutputClosed()) {
      return CompletableFuture.completedFuture(null);
    }
    return w.sendClose(WebSocket.NORMAL_CLOSURE, "done").exceptionally(t -> null);
  }

  /** Drops the connection without a close handshake. */
  public void abort() {
    WebSocket w = ws;
    if (w != null) {
      w.abort();
    }
  }

  private void drain() {
    while (true) {
      String next;
      synchronized (this) {
        next = outbox.poll();
        if (next == null) {
          sending = false;
          return;
        }
      }
      CompletableFuture<WebSocket> f;
      try {
        f = ws.sendText(next, true);
      } catch (RuntimeException e) {
        failure = e;
        synchronized (this) {
          outbox.clear();
          sending = false;
        }
        return;
      }
      sent.incrementAndGet();
      if (!f.isDone()) {
        f.whenComplete(
            (w, e) -> {
              if (e != null) {
                failure = e;
              }
              drain();
            });
        return;
      }
    }
  }

  // ------------------------------------------------------------------ WebSocket.Listener

  @Override
  public void onOpen(WebSocket webSocket) {
    ws = webSocket;
    credit = DEMAND_BATCH * 2;
    webSocket.request(credit);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    if (last) {
      String text;
      if (partial.length() == 0) {
        text = data.toString();
      } else {
        text = partial.append(data).toString();
        partial.setLength(0);
      }
      try {
        handler.onMessage(text);
      } catch (RuntimeException e) {
        failure = e;
      }
    } else {
      partial.append(data);
    }
    consumed(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    consumed(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    consumed(webSocket);
    return null; // the JDK answers with a pong itself
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    consumed(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    handler.onClosed(statusCode, reason);
    closed.complete(null);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    failure = error;
    handler.onError(error);
    closed.complete(null);
  }

  private void consumed(WebSocket webSocket) {
    if (--credit <= DEMAND_BATCH) {
      credit += DEMAND_BATCH;
      webSocket.request(DEMAND_BATCH);
    }
  }
}
