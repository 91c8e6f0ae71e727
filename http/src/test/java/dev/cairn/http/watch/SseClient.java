package dev.cairn.http.watch;

import dev.cairn.http.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A server-sent events client on {@link java.net.http.HttpClient}: reads the stream on its own
 * thread and keeps every event (id, event type, data) and comment it receives.
 */
public final class SseClient implements AutoCloseable {
  /** One event; {@code id} is null when the event had none. */
  public record Event(String id, String event, String data) {}

  private final Object lock = new Object();
  private final List<Event> events = new ArrayList<>();
  private final List<String> comments = new ArrayList<>();
  private final int status;
  private final String contentType;
  private final String errorBody;
  private final InputStream in;
  private volatile boolean ended;
  private volatile String endCause = "";

  private SseClient(int status, String contentType, String errorBody, InputStream in) {
    this.status = status;
    this.contentType = contentType;
    this.errorBody = errorBody;
    this.in = in;
  }

  /** Opens {@code path} with the given header name/value pairs. */
  public static SseClient open(TestServer node, String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(node.url() + path))
            .GET()
            .header("Accept", "text/event-stream");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<InputStream> r;
    try {
      r = node.client().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    String ct = r.headers().firstValue("Content-Type").orElse("");
    if (r.statusCode() != 200) {
      try (InputStream body = r.body()) {
        String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        SseClient c = new SseClient(r.statusCode(), ct, text, InputStream.nullInputStream());
        c.ended = true;
        return c;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    SseClient c = new SseClient(200, ct, "", r.body());
    Thread t = new Thread(c::read, "sse-" + path);
    t.setDaemon(true);
    t.start();
    return c;
  }

  private void read() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String id = null;
      String event = null;
      StringBuilder data = null;
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (data != null || event != null) {
            synchronized (lock) {
              events.add(
                  new Event(
                      id, event == null ? "message" : event, data == null ? "" : data.toString()));
              lock.notifyAll();
            }
          }
          id = null;
          event = null;
          data = null;
        } else if (line.startsWith(":")) {
          synchronized (lock) {
            comments.add(line.substring(1).trim());
            lock.notifyAll();
          }
        } else {
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1);
          if (value.startsWith(" ")) {
            value = value.substring(1);
          }
          switch (field) {
            case "id" -> id = value;
            case "event" -> event = value;
            case "data" ->
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            default -> {}
          }
        }
      }
      endCause = "end of stream";
    } catch (IOException e) {
      endCause = e.toString();
    } finally {
      ended = true;
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  public int status() {
    return status;
  }

  public String contentType() {
    return contentType;
  }

  public String errorBody() {
    return errorBody;
  }

  public boolean ended() {
    return ended;
  }

  public List<Event> events() {
    synchronized (lock) {
      return new ArrayList<>(events);
    }
  }

  public List<String> comments() {
    synchronized (lock) {
      return new ArrayList<>(comments);
    }
  }

  /** Waits until some event matches. */
  public Event expect(String what, Duration timeout, Predicate<Event> p) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        for (Event e : events) {
          if (p.test(e)) {
            return e;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (ended && events.stream().noneMatch(p))) {
          throw new AssertionError(
              "no "
                  + what
                  + " within "
                  + timeout
                  + "; ended="
                  + ended
                  + " "
                  + endCause
                  + "; last events "
                  + events.subList(Math.max(0, events.size() - 5), events.size()));
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted");
        }
      }
    }
  }

  /** Waits until more than {@code n} events arrived, the stream ended, or the timeout passed. */
  public void awaitMore(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (events.size() <= n && !ended) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted");
        }
      }
    }
  }

  /** Waits until the server ends the stream. */
  public void awaitEnd(Duration timeout) {
    TestServer.await(timeout, "the event stream to end", () -> ended);
  }

  /** Drops the connection. */
  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
