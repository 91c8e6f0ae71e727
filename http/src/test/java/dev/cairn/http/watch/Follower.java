package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.TestServer;
import dev.cairn.http.watch.WriteLoad.Change;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A WebSocket watcher of one prefix, on its own thread, that keeps every event it receives in
 * arrival order. It can drop its connection at chosen points (abruptly or with a close handshake)
 * and survives the server closing it (a restart); either way it reconnects with {@code
 * start_revision} = the last revision it saw + 1, as a client library would.
 */
public final class Follower implements AutoCloseable {
  private final TestServer node;
  private final String prefix;
  private final List<Change> seen = Collections.synchronizedList(new ArrayList<>());
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final List<Integer> disconnectAt;
  private final Random random;
  private final Thread thread;
  private volatile boolean stop;
  private volatile long lastRevision;
  private volatile int connects;
  private volatile int slowCancels;
  private WsClient ws;
  private int read;

  /**
   * @param disconnectAt event counts at which to drop the connection and resume (ascending)
   */
  public Follower(
      TestServer node,
      String prefix,
      long startRevision,
      List<Integer> disconnectAt,
      Random random) {
    this.node = node;
    this.prefix = prefix;
    this.lastRevision = startRevision - 1;
    this.disconnectAt = new ArrayList<>(disconnectAt);
    this.random = random;
    connect();
    this.thread = new Thread(this::loop, "follower-" + prefix);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void connect() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        ws = WsClient.connect(node);
        break;
      } catch (RuntimeException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        // The server is down (restarting); poll until it is back.
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    }
    read = 0;
    connects++;
    ws.send(WsClient.createPrefix(1, prefix, lastRevision + 1));
  }

  private void loop() {
    try {
      while (!stop) {
        List<JsonNode> batch = ws.take(read, Duration.ofMillis(100));
        read += batch.size();
        batch.forEach(this::handle);
        if (!disconnectAt.isEmpty() && seen.size() >= disconnectAt.get(0)) {
          disconnectAt.remove(0);
          if (random.nextBoolean()) {
            ws.abort();
          } else {
            ws.close();
          }
          drain();
          connect();
        } else if (batch.isEmpty() && ws.isClosed()) {
          drain();
          ws.abort();
          connect();
        }
      }
    } catch (Throwable t) {
      problems.add("follower failed: " + t);
    }
  }

  /** Handles whatever arrived before the connection went away. */
  private void drain() {
    List<JsonNode> rest = ws.messagesFrom(read);
    read += rest.size();
    rest.forEach(this::handle);
  }

  private void handle(JsonNode m) {
    if (m.has("events")) {
      long messageRevision = m.path("revision").asLong();
      for (JsonNode e : m.path("events")) {
        long rev = e.path("kv").path("mod_revision").asLong();
        if (rev > messageRevision) {
          problems.add("event of revision " + rev + " in a message of revision " + messageRevision);
        }
        seen.add(new Change(rev, e.path("kv").path("key").asText(), e.path("type").asText()));
        lastRevision = Math.max(lastRevision, rev);
      }
    } else if (m.has("canceled") && "slow_consumer".equals(m.path("reason").asText())) {
      // As a client library does: watch again from right after the last revision the server says
      // it handed over. Any gap or duplicate that causes shows up when the changes are verified.
      slowCancels++;
      lastRevision = m.path("last_revision").asLong();
      ws.send(WsClient.createPrefix(1, prefix, lastRevision + 1));
    } else if (m.has("canceled") || m.has("error") || m.has("__unparseable__")) {
      problems.add("unexpected message " + m);
    }
  }

  public int seenCount() {
    return seen.size();
  }

  public int connects() {
    return connects;
  }

  /** Times the server cancelled this watcher as too slow (each time it resumed). */
  public int slowCancels() {
    return slowCancels;
  }

  /** Whether every revision in {@code revisions} has been seen. */
  public boolean hasSeenAll(Set<Long> revisions) {
    Set<Long> have = new HashSet<>();
    synchronized (seen) {
      for (Change c : seen) {
        have.add(c.revision());
      }
    }
    return have.containsAll(revisions);
  }

  public List<Change> seen() {
    synchronized (seen) {
      return new ArrayList<>(seen);
    }
  }

  public List<String> problems() {
    return new ArrayList<>(problems);
  }

  @Override
  public void close() {
    stop = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ws.abort();
  }

  // ------------------------------------------------------------------ verification

  /**
   * Checks that {@code seen} (in arrival order) is exactly the acknowledged changes, each once, in
   * revision order, plus at most each of the writes of unknown outcome; returns a description of
   * every violation (empty when there is none).
   */
  public static List<String> verify(
      List<Change> seen, Map<Long, Change> acked, List<Change> unknown) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i < seen.size(); i++) {
      if (seen.get(i).revision() < seen.get(i - 1).revision()) {
        out.add("out of order at #" + i + ": " + seen.get(i - 1) + " then " + seen.get(i));
        break;
      }
    }
    Set<String> once = new HashSet<>();
    List<Change> duplicates = new ArrayList<>();
    Map<String, Integer> unknownLeft = new HashMap<>();
    unknown.forEach(u -> unknownLeft.merge(u.key() + " " + u.type(), 1, Integer::sum));
    List<Change> unexpected = new ArrayList<>();
    List<Change> wrong = new ArrayList<>();
    Set<Long> seenRevisions = new TreeSet<>();
    for (Change c : seen) {
      if (!once.add(c.revision() + " " + c.key())) {
        duplicates.add(c);
        continue;
      }
      seenRevisions.add(c.revision());
      Change a = acked.get(c.revision());
      if (a != null) {
        if (!a.equals(c)) {
          wrong.add(c);
        }
      } else {
        String k = c.key() + " " + c.type();
        Integer left = unknownLeft.get(k);
        if (left == null || left == 0) {
          unexpected.add(c);
        } else {
          unknownLeft.put(k, left - 1);
        }
      }
    }
    TreeSet<Long> missing = new TreeSet<>(acked.keySet());
    missing.removeAll(seenRevisions);
    if (!duplicates.isEmpty()) {
      out.add(duplicates.size() + " duplicates, e.g. " + head(duplicates));
    }
    if (!missing.isEmpty()) {
      out.add(
          missing.size()
              + " acknowledged changes never seen, revisions "
              + head(new ArrayList<>(missing)));
    }
    if (!unexpected.isEmpty()) {
      out.add(unexpected.size() + " events nobody wrote, e.g. " + head(unexpected));
    }
    if (!wrong.isEmpty()) {
      out.add(wrong.size() + " events differing from the acknowledged change, e.g. " + head(wrong));
    }
    return out;
  }

  private static String head(List<?> l) {
    return l.subList(0, Math.min(8, l.size())) + (l.size() > 8 ? " ..." : "");
  }
}
