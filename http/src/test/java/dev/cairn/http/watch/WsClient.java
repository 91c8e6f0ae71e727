package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A real WebSocket client ({@link java.net.http.WebSocket}) speaking the watch protocol. Every text
 * message (partial frames joined) is parsed and appended to a log; tests wait on that log with
 * deadlines. {@link #pause()} stops asking for more messages (the JDK client then stops reading the
 * socket), which is how a test plays a client that stopped reading.
 */
public final class WsClient implements AutoCloseable {
  private final Object lock = new Object();
  private final List<JsonNode> log = new ArrayList<>();

  /** How many JSON messages each text message held, in order. */
  private final List<Integer> perTextMessage = new ArrayList<>();

  private final StringBuilder partial = new StringBuilder();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private final String name;
  private WebSocket ws;
  private boolean paused;
  private boolean owed;
  private int cursor;
  private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);

  private WsClient(String name) {
    this.name = name;
  }

  /** Opens {@code uri} (e.g. {@code node.ws("/v1/watch")}). */
  public static WsClient connect(HttpClient http, URI uri) {
    WsClient c = new WsClient(uri.toString());
    try {
      c.ws =
          http.newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(10))
              .buildAsync(uri, c.listener())
              .get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("WebSocket to " + uri + " failed", e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("WebSocket to " + uri + " failed", e);
    }
    return c;
  }

  public static WsClient connect(TestServer node) {
    return connect(node.client(), node.ws("/v1/watch"));
  }

  private WebSocket.Listener listener() {
    return new WebSocket.Listener() {
      @Override
      public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
      }

      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        synchronized (lock) {
          partial.append(data);
          if (last) {
            String text = partial.toString();
            partial.setLength(0);
            // One JSON message, or several one per line (a session with batch=true).
            List<JsonNode> all;
            try (var values =
                TestServer.JSON.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
              all = values.readAll();
            } catch (IOException e) {
              all = List.of(TestServer.JSON.createObjectNode().put("__unparseable__", text));
            }
            log.addAll(all);
            perTextMessage.add(all.size());
            lock.notifyAll();
          }
          requestNextLocked(webSocket);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        synchronized (lock) {
          log.add(TestServer.JSON.createObjectNode().put("__binary__", data.remaining()));
          lock.notifyAll();
          requestNextLocked(webSocket);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        synchronized (lock) {
          requestNextLocked(webSocket);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        synchronized (lock) {
          requestNextLocked(webSocket);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete("closed " + statusCode + " " + reason);
        synchronized (lock) {
          lock.notifyAll();
        }
        return null;
      }

      @Override
      public void onError(WebSocket webSocket, Throwable error) {
        closed.complete("error " + error);
        synchronized (lock) {
          lock.notifyAll();
        }
      }
    };
  }

  private void requestNextLocked(WebSocket webSocket) {
    if (paused) {
      owed = true;
    } else {
      webSocket.request(1);
    }
  }

  /**
   * Node settings for tests with a client that lags or stops reading: a socket queue of 8 messages,
   * so that messages are held back as soon as the client falls behind, and at most {@code
   * maxPending} held-back messages per watch and {@code maxHeldBytes} per connection.
   */
  public static Map<String, Object> heldBackLimits(int maxPending, String maxHeldBytes) {
    return Map.of(
        "cairn.watch.socket-queue", 8,
        "cairn.watch.max-pending-per-watch", maxPending,
        "cairn.watch.max-held-bytes-per-connection", maxHeldBytes);
  }

  /** Stops reading: no more messages are requested until {@link #resume()}. */
  public void pause() {
    synchronized (lock) {
      paused = true;
    }
  }

  public void resume() {
    synchronized (lock) {
      paused = false;
      if (owed) {
        owed = false;
        ws.request(1);
      }
    }
  }

  /** Sends one text message (waiting until it is handed to the socket). */
  public void send(String json) {
    CompletableFuture<WebSocket> f;
    synchronized (this) {
      // The JDK client allows one outstanding send at a time.
      lastSend.join();
      f = ws.sendText(json, true);
      lastSend = f;
    }
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("send failed on " + name, e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("send failed on " + name, e);
    }
  }

  /** Sends one binary message. */
  public void sendBinary(byte[] data) {
    CompletableFuture<WebSocket> f;
    synchronized (this) {
      lastSend.join();
      f = ws.sendBinary(ByteBuffer.wrap(data), true);
      lastSend = f;
    }
    f.join();
  }

  /** Sends without waiting for the socket to take it (for a client whose reads are paused). */
  public CompletableFuture<WebSocket> sendAsync(String json) {
    synchronized (this) {
      lastSend.join();
      CompletableFuture<WebSocket> f = ws.sendText(json, true);
      lastSend = f;
      return f;
    }
  }

  /**
   * The first message after the cursor that matches, waiting up to {@code timeout}; moves the
   * cursor past it. Messages skipped stay in the log.
   */
  public JsonNode expect(String what, Duration timeout, Predicate<JsonNode> p) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        for (int i = cursor; i < log.size(); i++) {
          if (p.test(log.get(i))) {
            cursor = i + 1;
            return log.get(i);
          }
        }
        if (!waitUntil(deadline)) {
          throw timedOut(timeout, what, "messages after cursor: " + tail(cursor));
        }
      }
    }
  }

  public JsonNode expect(String what, Predicate<JsonNode> p) {
    return expect(what, Duration.ofSeconds(10), p);
  }

  /** Waits until {@code condition} holds over the whole log. */
  public void awaitLog(String what, Duration timeout, Predicate<List<JsonNode>> condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!condition.test(log)) {
        if (!waitUntil(deadline)) {
          throw timedOut(timeout, what, "last messages: " + tail(Math.max(0, log.size() - 5)));
        }
      }
    }
  }

  /**
   * Waits on the lock (held by the caller) until a message, a close or {@code deadline} (a {@link
   * System#nanoTime()}); false, without waiting, once the deadline has passed.
   */
  private boolean waitUntil(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    try {
      TimeUnit.NANOSECONDS.timedWait(lock, left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
    return true;
  }

  private AssertionError timedOut(Duration timeout, String what, String messages) {
    return new AssertionError(
        "timed out after "
            + timeout
            + " waiting for "
            + what
            + " on "
            + name
            + "; "
            + messages
            + "; "
            + closedState());
  }

  private String closedState() {
    return closed.isDone() ? closed.join() : "open";
  }

  private String tail(int from) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = from; i < log.size() && i < from + 10; i++) {
      String s = log.get(i).toString();
      sb.append(s.length() > 300 ? s.substring(0, 300) + "..." : s).append(", ");
    }
    if (log.size() > from + 10) {
      sb.append("... ").append(log.size() - from - 10).append(" more");
    }
    return sb.append(']').toString();
  }

  /** A copy of every message received so far. */
  /** How many JSON messages each text message received so far held, in order. */
  public List<Integer> perTextMessage() {
    synchronized (lock) {
      return List.copyOf(perTextMessage);
    }
  }

  public List<JsonNode> messages() {
    synchronized (lock) {
      return new ArrayList<>(log);
    }
  }

  /**
   * The messages from index {@code from} on, waiting up to {@code timeout} for at least one; empty
   * when none came (or the socket closed with nothing more).
   */
  public List<JsonNode> take(int from, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (log.size() <= from && !closed.isDone()) {
        if (!waitUntil(deadline)) {
          break;
        }
      }
      return new ArrayList<>(log.subList(Math.min(from, log.size()), log.size()));
    }
  }

  /** A copy of the messages from index {@code from} on. */
  public List<JsonNode> messagesFrom(int from) {
    synchronized (lock) {
      return new ArrayList<>(log.subList(Math.min(from, log.size()), log.size()));
    }
  }

  public int size() {
    synchronized (lock) {
      return log.size();
    }
  }

  /** Moves the cursor to the end: later {@link #expect} calls see only new messages. */
  public void skipAll() {
    synchronized (lock) {
      cursor = log.size();
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public CompletableFuture<String> closedFuture() {
    return closed;
  }

  /** Closes abruptly (TCP connection dropped, no close handshake). */
  public void abort() {
    ws.abort();
  }

  @Override
  public void close() {
    disconnect();
  }

  /** Sends a close frame (and drops the connection if the server does not answer quickly). */
  public void disconnect() {
    if (ws.isOutputClosed()) {
      ws.abort();
      return;
    }
    try {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // fall through to abort
    }
    resume();
    try {
      closed.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the server did not answer the close; drop it
    }
    ws.abort();
  }

  // ------------------------------------------------------------------ messages

  /** A create message for watch {@code watchId} on {@code key}; {@code extra} adds fields. */
  public static String create(long watchId, String key, String extra) {
    return "{\"create\":{\"watch_id\":" + watchId + ",\"key\":\"" + key + "\"" + extra + "}}";
  }

  /** A create message for watch {@code watchId} on every key under {@code prefix}. */
  public static String createPrefix(long watchId, String prefix, long startRevision) {
    return create(watchId, prefix, ",\"prefix\":true,\"start_revision\":" + startRevision);
  }

  // ------------------------------------------------------------------ message predicates

  public static Predicate<JsonNode> created(long watchId) {
    return m -> m.path("created").asBoolean(false) && m.path("watch_id").asLong(-1) == watchId;
  }

  public static Predicate<JsonNode> canceled(long watchId) {
    return m -> m.path("canceled").asBoolean(false) && m.path("watch_id").asLong(-1) == watchId;
  }

  public static Predicate<JsonNode> events(long watchId) {
    return m -> m.has("events") && m.path("watch_id").asLong(-1) == watchId;
  }

  public static Predicate<JsonNode> progress(long watchId) {
    return m -> m.path("progress").asBoolean(false) && m.path("watch_id").asLong(-2) == watchId;
  }

  public static Predicate<JsonNode> error(String code) {
    return m -> m.has("error") && m.path("error").path("code").asText().equals(code);
  }

  public static Predicate<JsonNode> has(String field) {
    return m -> m.has(field);
  }
}
