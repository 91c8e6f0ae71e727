package dev.cairn.bench.lease;

import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.http.JsonScan;
import dev.cairn.bench.http.TextSocket;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Leases kept alive by WebSocket sessions on {@code /v1/watch}: {@code sessions} connections (on
 * one event loop thread) sending a heartbeat each period, so that the server renews the leases
 * granted on them ({@code lease_grant}) or attached to them ({@code lease_attach}), at most {@code
 * window} lease requests in flight per session. Counts heartbeats answered, {@code lease_expired}
 * messages and errors.
 */
final class LeaseSessions {
  private final URI url;
  private final int sessions;
  private final int window;
  private final PrintStream log;
  private final TextSocket.Group group = new TextSocket.Group(1);
  final List<TextSocket> sockets = new ArrayList<>();
  final List<Session> handlers = new ArrayList<>();
  final LongAdder expired = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder heartbeats = new LongAdder();
  final LongAdder grantedSoFar = new LongAdder();
  final ScheduledExecutorService beat = Cli.daemonScheduler("heartbeat");

  LeaseSessions(URI url, int sessions, int window, PrintStream log) {
    this.url = url;
    this.sessions = sessions;
    this.window = window;
    this.log = log;
  }

  /** One session's replies; ids granted in reply order. */
  final class Session implements TextSocket.Handler {
    final Semaphore window = new Semaphore(LeaseSessions.this.window);
    final List<Long> granted = new ArrayList<>();
    final LongAdder attached = new LongAdder();

    @Override
    public void onMessage(String text) {
      if (text.startsWith("{\"heartbeat\"")) {
        heartbeats.increment();
      } else if (text.startsWith("{\"lease_granted\"")) {
        synchronized (this) {
          granted.add(JsonScan.longAfter(text, "\"id\":", 0));
        }
        grantedSoFar.increment();
        window.release();
      } else if (text.startsWith("{\"lease_attached\"")) {
        attached.increment();
        window.release();
      } else if (text.startsWith("{\"lease_expired\"")) {
        expired.increment();
        if (expired.sum() <= 5) {
          log.printf("[lease] session: %s%n", text);
        }
      } else if (text.startsWith("{\"error\"")) {
        errors.increment();
        if (errors.sum() <= 5) {
          log.printf("[lease] session error: %s%n", text);
        }
        window.release();
      }
    }

    @Override
    public void onClosed(int status, String reason) {
      log.printf("[lease] session closed by the server: %d %s%n", status, reason);
    }
  }

  /** Opens the sessions and starts their heartbeats, one every {@code heartbeat}. */
  void open(Duration heartbeat) throws Exception {
    URI wsUri = TextSocket.uri(url, "/v1/watch");
    for (int s = 0; s < sessions; s++) {
      Session h = new Session();
      handlers.add(h);
      sockets.add(TextSocket.open(group, wsUri, h).get(30, TimeUnit.SECONDS));
    }
    long period = heartbeat.toNanos();
    beat.scheduleAtFixedRate(
        () -> sockets.forEach(s -> s.send("{\"heartbeat\":{}}")),
        period,
        period,
        TimeUnit.NANOSECONDS);
  }

  /** Grants {@code ids.length()} leases of {@code ttl} seconds on the sessions, round-robin. */
  void grantAll(AtomicLongArray ids, int ttl) throws InterruptedException {
    int leases = ids.length();
    String msg = "{\"lease_grant\":{\"ttl\":" + ttl + "}}";
    for (int i = 0; i < leases; i++) {
      int s = i % sessions;
      handlers.get(s).window.acquire();
      sockets.get(s).send(msg);
    }
    for (Session h : handlers) {
      h.window.acquire(window);
      h.window.release(window);
    }
    int i = 0;
    for (Session h : handlers) {
      synchronized (h) {
        for (long id : h.granted) {
          if (i < leases) {
            ids.set(i++, id);
          }
        }
      }
    }
  }

  volatile boolean grantsDone;

  /** Attaches lease i to session i mod S, in index order, waiting for each grant's answer. */
  void attachAll(AtomicLongArray ids) {
    try {
      for (int i = 0; i < ids.length(); i++) {
        while (ids.get(i) <= 0 && !grantsDone) {
          Thread.sleep(1);
        }
        if (ids.get(i) <= 0) {
          continue; // that grant failed
        }
        int s = i % sessions;
        handlers.get(s).window.acquire();
        sockets.get(s).send("{\"lease_attach\":{\"id\":" + ids.get(i) + "}}");
      }
      for (Session h : handlers) {
        h.window.acquire(window);
        h.window.release(window);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sessions' leases attached so far. */
  long attached() {
    return handlers.stream().mapToLong(h -> h.attached.sum()).sum();
  }

  void close() {
    beat.shutdownNow();
    sockets.forEach(TextSocket::close);
    group.close();
  }
}
