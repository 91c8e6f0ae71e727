package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A client's watch of a prefix over server-sent events, as a careful client runs it: from revision
 * 1 on its own node; when the stream breaks (the node was killed, or said {@code shutdown}) it
 * resumes on another live node with {@code start_revision} = the last revision it received whole +
 * 1, dropping what it had of a revision it did not get whole. What it records is the stream the
 * client saw, to be compared with the server's history ({@link WatchHistory}): equal means no gap,
 * no duplicate, and order kept, across every failover and resume.
 */
final class ResumingWatch implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final String prefix;
  private final Supplier<List<URI>> endpoints;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final Thread thread;
  private final List<WatchHistory.Change> changes = new ArrayList<>();
  private volatile boolean stopped;
  private volatile long lastComplete;
  private volatile int resumes;
  private volatile String failure;

  /**
   * Starts watching {@code prefix} on {@code first}; resumes on one of {@code endpoints} (the live
   * nodes, read afresh) when that stream breaks.
   */
  ResumingWatch(String name, URI first, String prefix, Supplier<List<URI>> endpoints) {
    this.name = name;
    this.prefix = prefix;
    this.endpoints = endpoints;
    this.thread = new Thread(() -> run(first), "watch-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** The last revision received whole. */
  long lastRevision() {
    return lastComplete;
  }

  /** How many times the watch resumed on a node after its stream broke. */
  int resumes() {
    return resumes;
  }

  /** The changes received, each revision whole, in the order received. */
  synchronized List<WatchHistory.Change> changes() {
    return new ArrayList<>(changes);
  }

  /** Why the watch stopped on its own (an unexpected answer), or null. */
  String failure() {
    return failure;
  }

  private void run(URI first) {
    URI node = first;
    int attempt = 0;
    while (!stopped) {
      try {
        follow(node);
      } catch (IOException | UncheckedIOException e) {
        // the node went away: resume elsewhere
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        failure = name + ": " + e;
        return;
      }
      if (stopped) {
        return;
      }
      resumes++;
      List<URI> live = endpoints.get();
      if (!live.isEmpty()) {
        node = live.get(Math.floorMod(name.hashCode() + ++attempt, live.size()));
      }
      try {
        Thread.sleep(200); // back off before the next node; not synchronisation
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Reads one stream from {@code node} until it ends or breaks. */
  private void follow(URI node) throws IOException, InterruptedException {
    long start = lastComplete + 1;
    String path = "/v1/watch/" + prefix + "?prefix=true&start_revision=" + start;
    HttpResponse<Stream<String>> r =
        http.send(
            HttpRequest.newBuilder(node.resolve(path)).GET().build(),
            HttpResponse.BodyHandlers.ofLines());
    if (r.statusCode() != 200) {
      r.body().close();
      throw new IOException("GET " + path + " on " + node + " answered " + r.statusCode());
    }
    List<WatchHistory.Change> pending = new ArrayList<>();
    try (Stream<String> lines = r.body()) {
      Iterator<String> it = lines.iterator();
      long revision = 0;
      boolean complete = false; // the id had no ".i": the last event of its revision
      String type = null;
      while (it.hasNext() && !stopped) {
        String l = it.next();
        if (l.startsWith("id: ")) {
          String id = l.substring(4);
          int dot = id.indexOf('.');
          complete = dot < 0;
          revision = Long.parseLong(dot < 0 ? id : id.substring(0, dot));
        } else if (l.startsWith("event: ")) {
          type = l.substring(7);
        } else if (l.startsWith("data: ") && ("put".equals(type) || "delete".equals(type))) {
          JsonNode kv = JSON.readTree(l.substring(6));
          pending.add(
              new WatchHistory.Change(
                  revision,
                  type.equals("put"),
                  kv.path("key").asText(),
                  kv.path("value").asText(null),
                  kv.path("create_revision").asLong()));
          if (complete) {
            synchronized (this) {
              changes.addAll(pending);
            }
            pending.clear();
            lastComplete = revision;
          }
        } else if (l.startsWith("data: ") && "shutdown".equals(type)) {
          return; // the node leaves: resume elsewhere
        } else if (l.startsWith("data: ") && !"progress".equals(type)) {
          throw new IllegalStateException(
              "the watch on " + node + " ended with " + type + ": " + l);
        }
      }
    }
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
  }
}
