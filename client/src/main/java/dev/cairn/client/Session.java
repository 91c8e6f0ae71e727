package dev.cairn.client;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.core.keyspace.WatchEvent;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The client's one WebSocket session ({@code /v1/watch}) with the current endpoint: it carries
 * every watch and keeps every lease alive. The server renews a session's leases that are due (a
 * third of their TTL since the last renewal) whenever a message of the client arrives, so keeping
 * ten thousand leases alive costs a heartbeat message a second, not a request per lease.
 *
 * <p>When the socket closes or fails, the session reconnects (to the next endpoint, backing off up
 * to 2 s), attaches every lease again ({@code lease_attach}, which also renews it) and creates
 * every watch again from the revision after the last one it delivered, so a watch sees no gap and
 * no duplicate. A lease the server no longer has (it expired while the client was away, or was
 * revoked) is reported lost, never replaced.
 *
 * <p>Thread-safety: state is guarded by this object's lock; messages are handled one at a time on
 * the client's executor (the JDK WebSocket delivers them in order), and listeners are called there,
 * outside the lock.
 */
final class Session {
  private final Transport transport;
  private final String basePath;
  private final ScheduledExecutorService timer;
  private final Consumer<LeaseLostException> onLeaseLost;

  private final Map<Long, SessionLease> leases = new LinkedHashMap<>();
  private final Map<Long, WatchState> watches = new LinkedHashMap<>();
  private final AtomicLong watchIds = new AtomicLong();

  /** Messages for the socket: their text, or a {@link PendingCall}. */
  private final ArrayDeque<Object> outbox = new ArrayDeque<>();

  /** Calls sent (or queued) on the current socket and not answered yet, by id. */
  private final Map<Long, PendingCall> calls = new HashMap<>();

  private long callIds;

  /**
   * Calls in flight on the socket at most; beyond it requests go over HTTP. Below the server's
   * default {@code cairn.watch.max-calls-per-connection} (1024), so the server's refusal is rare
   * (and then the call goes over HTTP too).
   */
  static final int MAX_CALLS = 512;

  /** The endpoint the socket is connected to (calls go on it only while it is the current one). */
  private int socketEndpoint = -1;

  /** Completes when a socket is first open (or the client closes); the client waits for it. */
  private final CompletableFuture<Void> firstOpen = new CompletableFuture<>();

  /** Leases to attach on the current socket, sent a window at a time (each is a leader ask). */
  private final ArrayDeque<Long> toAttach = new ArrayDeque<>();

  /** Attaches sent on the current socket and not answered yet. */
  private int attaching;

  /** Attaches in flight at most: the server answers each with an ask of the namespace leader. */
  private static final int ATTACH_WINDOW = 256;

  private WebSocket socket;
  private long generation;
  private boolean sending;

  /**
   * While the socket's listener hands out the replies of one message: messages queued meanwhile
   * (the next calls of the callers just answered) wait, and go out together when it is done.
   */
  private boolean holdingSends;

  private boolean connecting;
  private boolean closed;
  private int failures;
  private long lastSentNanos;
  private ScheduledFuture<?> ticker;

  private static final class SessionLease {
    final long id;
    final long ttlSeconds;

    /** The current connection confirmed it ({@code lease_attached}, or granted on it). */
    boolean attached;

    /** When its attach was sent (0: not yet), to check on it when no answer comes. */
    long sentNanos;

    SessionLease(long id, long ttlSeconds) {
      this.id = id;
      this.ttlSeconds = ttlSeconds;
    }
  }

  /** A request sent as a call on the socket, until its reply. */
  private static final class PendingCall {
    final long id;
    final Transport.Call call;
    final int attempt;
    final int endpoint;
    final CompletableFuture<Transport.Answer> result;
    final String text;

    /** Handed to the socket: it may have reached the server. */
    boolean sent;

    /** When the attempt times out, as an HTTP request would ({@code requestTimeout}). */
    final long deadlineNanos;

    PendingCall(
        long id,
        Transport.Call call,
        int attempt,
        int endpoint,
        CompletableFuture<Transport.Answer> result,
        long timeoutNanos) {
      this.id = id;
      this.call = call;
      this.attempt = attempt;
      this.endpoint = endpoint;
      this.result = result;
      this.text = callMessage(id, call);
      this.deadlineNanos = System.nanoTime() + timeoutNanos;
    }
  }

  /** One watch: what it watches and the revision it resumes from. */
  final class WatchState implements Watch {
    final long id;
    final String key;
    final boolean prefix;
    final boolean prevKv;
    final WatchListener listener;

    /** The first revision not yet delivered: a resumed watch starts here. */
    volatile long next;

    volatile boolean canceled;

    WatchState(long id, String key, boolean prefix, boolean prevKv, long from, WatchListener l) {
      this.id = id;
      this.key = key;
      this.prefix = prefix;
      this.prevKv = prevKv;
      this.next = from;
      this.listener = l;
    }

    @Override
    public void cancel() {
      Session.this.cancel(this);
    }

    @Override
    public long nextRevision() {
      return next;
    }
  }

  Session(
      Transport transport,
      String basePath,
      ScheduledExecutorService timer,
      Consumer<LeaseLostException> onLeaseLost) {
    this.transport = transport;
    this.basePath = basePath;
    this.timer = timer;
    this.onLeaseLost = onLeaseLost;
  }

  // ------------------------------------------------------------------ leases

  /** Keeps {@code id} alive from now on; the server attaches it to the session. */
  void keepAlive(long id, long ttlSeconds) {
    synchronized (this) {
      if (closed || leases.containsKey(id)) {
        return;
      }
      leases.put(id, new SessionLease(id, ttlSeconds));
      ensureStarted();
      if (socket != null) {
        toAttach.add(id);
        drainAttaches();
      }
    }
  }

  /** Stops keeping {@code id} alive (it was revoked, or the application let go of it). */
  synchronized void forget(long id) {
    leases.remove(id);
  }

  synchronized boolean keepsAlive(long id) {
    return leases.containsKey(id);
  }

  synchronized int leaseCount() {
    return leases.size();
  }

  /** Sends queued attaches while fewer than the window are unanswered. Called under the lock. */
  private void drainAttaches() {
    long now = System.nanoTime();
    while (attaching < ATTACH_WINDOW && !toAttach.isEmpty()) {
      SessionLease l = leases.get(toAttach.poll());
      if (l != null && !l.attached) {
        l.sentNanos = now;
        attaching++;
        enqueue(attachMessage(l.id));
      }
    }
  }

  /** An attach was answered (attached or refused). Called under the lock. */
  private void attachAnswered() {
    attaching = Math.max(0, attaching - 1);
    drainAttaches();
  }

  private static String attachMessage(long id) {
    return "{\"lease_attach\":{\"id\":" + id + "}}";
  }

  // ------------------------------------------------------------------ calls

  /**
   * Sends {@code call} on the socket when it is open to {@code endpoint} (the transport's current
   * one) and fewer than {@link #MAX_CALLS} are in flight; false when the caller must use HTTP. The
   * reply, or the socket's loss, goes to the transport.
   */
  boolean call(
      Transport.Call call, int attempt, int endpoint, CompletableFuture<Transport.Answer> result) {
    synchronized (this) {
      if (closed
          || socket == null
          || !callsReady
          || socketEndpoint != endpoint
          || calls.size() >= MAX_CALLS) {
        return false;
      }
      PendingCall p =
          new PendingCall(
              ++callIds, call, attempt, endpoint, result, transport.requestTimeout().toNanos());
      calls.put(p.id, p);
      enqueue(p);
      return true;
    }
  }

  private static final JsonStringEncoder ESCAPE = JsonStringEncoder.getInstance();

  /** {@code {"call": {...}}} for {@code c}: its body as text when it is UTF-8, else base64. */
  static String callMessage(long id, Transport.Call c) {
    StringBuilder sb =
        new StringBuilder(96 + c.path().length() + (c.body() == null ? 0 : 2 * c.body().length));
    sb.append("{\"call\":{\"id\":").append(id).append(",\"method\":\"").append(c.method());
    sb.append("\",\"path\":\"");
    ESCAPE.quoteAsString(c.path(), sb);
    sb.append('"');
    List<String> h = c.headers();
    for (int i = 0; i + 1 < h.size(); i += 2) {
      sb.append(i == 0 ? ",\"headers\":{\"" : ",\"");
      ESCAPE.quoteAsString(h.get(i), sb);
      sb.append("\":\"");
      ESCAPE.quoteAsString(h.get(i + 1), sb);
      sb.append('"');
    }
    if (h.size() >= 2) {
      sb.append('}');
    }
    if (c.body() != null) {
      String text = utf8(c.body());
      if (text != null) {
        sb.append(",\"body\":\"");
        ESCAPE.quoteAsString(text, sb);
        sb.append('"');
      } else {
        sb.append(",\"body_base64\":\"")
            .append(java.util.Base64.getEncoder().encodeToString(c.body()))
            .append('"');
      }
    }
    return sb.append("}}").toString();
  }

  /**
   * {@code b} as text when it is valid UTF-8 (so that it comes back as the same bytes), or null.
   */
  private static String utf8(byte[] b) {
    try {
      return java.nio.charset.StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
  }

  private void onReply(JsonNode r) {
    long id = r.path("id").asLong(-1);
    if (id == PROBE_ID) {
      synchronized (this) {
        callsReady = socket != null;
      }
      firstOpen.complete(null);
      return;
    }
    PendingCall p;
    synchronized (this) {
      p = calls.remove(id);
    }
    if (p == null) {
      return;
    }
    JsonNode h = r.get("headers");
    long revision = 0;
    String retryAfter = null;
    if (h != null) {
      for (var it = h.fields(); it.hasNext(); ) {
        var e = it.next();
        if (e.getKey().equalsIgnoreCase("x-cairn-revision")) {
          revision = e.getValue().asLong();
        } else if (e.getKey().equalsIgnoreCase("retry-after")) {
          retryAfter = e.getValue().asText();
        }
      }
    }
    JsonNode body = r.get("body");
    if (body == null && r.has("body_base64")) {
      body = Json.read(java.util.Base64.getDecoder().decode(r.get("body_base64").asText()));
    }
    transport.channelAnswered(
        p.call,
        p.attempt,
        p.endpoint,
        r.path("status").asInt(),
        revision,
        retryAfter,
        body == null ? Json.MAPPER.missingNode() : body,
        p.result);
  }

  /**
   * Fails the calls whose reply is overdue (a node that hangs with its socket open), as a timed-out
   * HTTP request: sent again if idempotent (to the next endpoint), else of unknown outcome.
   */
  private void expireCalls() {
    List<PendingCall> overdue = null;
    synchronized (this) {
      if (calls.isEmpty()) {
        return;
      }
      long now = System.nanoTime();
      for (var it = calls.values().iterator(); it.hasNext(); ) {
        PendingCall p = it.next();
        if (now - p.deadlineNanos >= 0) {
          it.remove();
          if (overdue == null) {
            overdue = new ArrayList<>();
          }
          overdue.add(p);
        }
      }
    }
    if (overdue != null) {
      failCalls(overdue, new java.net.http.HttpTimeoutException("request timed out"));
    }
  }

  /** Fails every call of the socket that is gone: sent ones may have been applied. */
  private void failCalls(List<PendingCall> lost, Throwable cause) {
    for (PendingCall p : lost) {
      transport.channelFailed(p.call, p.attempt, p.endpoint, !p.sent, cause, p.result);
    }
  }

  /** Takes every call in flight out (called under the lock). */
  private List<PendingCall> takeCalls() {
    if (calls.isEmpty()) {
      return List.of();
    }
    List<PendingCall> all = new ArrayList<>(calls.values());
    calls.clear();
    return all;
  }

  // ------------------------------------------------------------------ watches

  Watch watch(String key, boolean prefix, boolean prevKv, long from, WatchListener listener) {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the client is closed");
      }
      WatchState w =
          new WatchState(watchIds.incrementAndGet(), key, prefix, prevKv, from, listener);
      watches.put(w.id, w);
      ensureStarted();
      if (socket != null) {
        enqueue(createMessage(w));
      }
      return w;
    }
  }

  private void cancel(WatchState w) {
    synchronized (this) {
      if (w.canceled) {
        return;
      }
      w.canceled = true;
      watches.remove(w.id);
      if (socket != null) {
        enqueue("{\"cancel\":{\"watch_id\":" + w.id + "}}");
      }
    }
  }

  private static String createMessage(WatchState w) {
    ObjectNode c = Json.MAPPER.createObjectNode();
    c.put("key", w.key);
    if (w.prefix) {
      c.put("prefix", true);
    }
    c.put("start_revision", w.next);
    c.put("watch_id", w.id);
    if (w.prevKv) {
      c.put("prev_kv", true);
    }
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.set("create", c);
    return m.toString();
  }

  // ------------------------------------------------------------------ connection

  /** Whether requests may go as calls on the socket. */
  private boolean callsEnabled;

  /**
   * The current socket's server answered the probe call: it takes calls (a server that does not
   * answers the probe with an error, and requests stay on HTTP).
   */
  private boolean callsReady;

  /** The id of the probe call sent on each new socket; requests' ids start at 1. */
  private static final long PROBE_ID = 0;

  private static final String PROBE =
      "{\"call\":{\"id\":" + PROBE_ID + ",\"method\":\"GET\",\"path\":\"/health\"}}";

  /**
   * Opens the session now (not at the first watch or lease) so that requests go over its socket,
   * waiting up to {@code timeout} for it to open.
   */
  void openForCalls(Duration timeout) {
    synchronized (this) {
      if (closed) {
        return;
      }
      callsEnabled = true;
      ensureStarted();
    }
    try {
      firstOpen.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception notYet) {
      // requests go over HTTP until it opens
    }
  }

  /** Connects (once) and starts the heartbeat ticker. Called under the lock. */
  private void ensureStarted() {
    if (ticker == null) {
      ticker = timer.scheduleWithFixedDelay(this::tick, 100, 100, TimeUnit.MILLISECONDS);
    }
    if (socket == null && !connecting) {
      connect();
    }
  }

  /** Opens a socket to the current endpoint. Called under the lock. */
  private void connect() {
    connecting = true;
    long gen = ++generation;
    int endpoint = transport.current();
    URI http = transport.endpoints().get(endpoint);
    URI ws =
        URI.create("ws" + http.toString().substring("http".length()))
            .resolve(basePath + "/watch?batch=true");
    transport
        .sessionHttp()
        .newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(ws, new Listener(gen))
        .whenComplete(
            (s, e) -> {
              if (e != null) {
                transport.failedOver(endpoint);
                disconnected(gen);
              } else {
                opened(gen, s, endpoint);
              }
            });
  }

  private void opened(long gen, WebSocket s, int endpoint) {
    List<String> hello = new ArrayList<>();
    List<PendingCall> stale;
    synchronized (this) {
      if (gen != generation || closed) {
        s.abort();
        return;
      }
      stale = takeCalls(); // none: the previous socket's were failed when it went
      stalled = false;
      stalledAt = false;
      socket = s;
      socketEndpoint = endpoint;
      callsReady = false;
      if (callsEnabled) {
        hello.add(PROBE);
      }
      connecting = false;
      failures = 0;
      outbox.clear(); // anything queued for the old socket is rebuilt below
      sending = false;
      for (WatchState w : watches.values()) {
        hello.add(createMessage(w));
      }
      for (String m : hello) {
        enqueue(m);
      }
      toAttach.clear();
      attaching = 0;
      for (SessionLease l : leases.values()) {
        l.attached = false;
        l.sentNanos = 0;
        toAttach.add(l.id);
      }
      drainAttaches();
    }
    if (!callsEnabled) {
      firstOpen.complete(null);
    }
    failCalls(stale, new java.io.IOException("the session's connection was replaced"));
  }

  /** The socket of generation {@code gen} is gone: reconnect after a pause. */
  private void disconnected(long gen) {
    List<PendingCall> lost;
    synchronized (this) {
      if (gen != generation || closed) {
        return;
      }
      if (socket != null) {
        socket.abort();
      }
      socket = null;
      socketEndpoint = -1;
      callsReady = false;
      lost = takeCalls();
      connecting = true; // until the scheduled connect runs
      failures++;
      long delay = failures <= 1 ? 0 : Math.min(2_000, 50L << Math.min(6, failures));
      try {
        timer.schedule(
            () -> {
              synchronized (this) {
                if (!closed && gen == generation) {
                  connect();
                }
              }
            },
            delay,
            TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
        // close() is under way
      }
    }
    failCalls(lost, new java.io.IOException("the session's connection closed"));
  }

  /** Queues a message for the socket; one send is in flight at a time. Called under the lock. */
  private void enqueue(Object m) {
    if (socket == null) {
      return; // connecting: the socket's opening sends what is needed then
    }
    outbox.add(m);
    if (!sending && !holdingSends) {
      pump(generation);
    }
  }

  /** Most characters of one frame of several queued messages. */
  private static final int MAX_BATCH_CHARS = 64 * 1024;

  /** The text of a queued message; a call is sent from now on. Called under the lock. */
  private static String take(Object queued) {
    if (queued instanceof PendingCall p) {
      p.sent = true;
      return p.text;
    }
    return (String) queued;
  }

  /**
   * Sends the queued messages on the socket of {@code gen}, if it is still the current one: in a
   * loop while each send completes at once, else from the send's completion.
   */
  private void pump(long gen) {
    while (true) {
      WebSocket s;
      String m;
      synchronized (this) {
        if (gen != generation) {
          return; // the socket was replaced; its opening started a chain of its own
        }
        s = socket;
        Object next = outbox.poll();
        if (s == null || next == null) {
          sending = false;
          return;
        }
        m = take(next);
        if (!outbox.isEmpty() && callsReady) {
          // Several queued: one frame with all of them, one after another (a server that takes
          // calls reads them so), which saves the server a frame and a hand-off per message.
          StringBuilder batch = new StringBuilder(m);
          while (!outbox.isEmpty() && batch.length() < MAX_BATCH_CHARS) {
            batch.append(take(outbox.poll()));
          }
          m = batch.toString();
        }
        sending = true;
        lastSentNanos = System.nanoTime();
      }
      CompletableFuture<WebSocket> f = s.sendText(m, true);
      if (f.isDone() && !f.isCompletedExceptionally()) {
        continue;
      }
      f.whenComplete(
          (ok, e) -> {
            if (e != null) {
              disconnected(gen);
            } else {
              pump(gen);
            }
          });
      return;
    }
  }

  /**
   * Every 100 ms: a heartbeat when leases need renewing (the server renews on any message), and a
   * check on leases whose attach got no answer.
   */
  private void tick() {
    expireCalls();
    List<Long> unanswered = new ArrayList<>();
    synchronized (this) {
      if (closed || socket == null || leases.isEmpty()) {
        return;
      }
      long minTtl = Long.MAX_VALUE;
      long now = System.nanoTime();
      for (SessionLease l : leases.values()) {
        minTtl = Math.min(minTtl, l.ttlSeconds);
        if (!l.attached && l.sentNanos != 0 && now - l.sentNanos > TimeUnit.SECONDS.toNanos(5)) {
          l.sentNanos = now;
          unanswered.add(l.id);
        }
      }
      // Leases are due every third of their TTL; a message every sixth (at most a second) renews
      // each within half its TTL.
      long every = Math.max(100, Math.min(1_000, TimeUnit.SECONDS.toMillis(minTtl) / 6));
      if (now - lastSentNanos >= TimeUnit.MILLISECONDS.toNanos(every)) {
        enqueue("{\"heartbeat\":{}}");
      }
    }
    for (long id : unanswered) {
      verify(id);
    }
  }

  /** Asks the server whether lease {@code id} still exists: lost if not, attach again if so. */
  private void verify(long id) {
    transport
        .send(Transport.Call.get(basePath + "/leases/" + id))
        .whenComplete(
            (a, e) -> {
              if (e == null) {
                synchronized (this) {
                  SessionLease l = leases.get(id);
                  if (l != null && !l.attached && socket != null) {
                    toAttach.add(id);
                    drainAttaches();
                  }
                }
              } else if (Transport.unwrap(e) instanceof ProblemException p
                  && p.code().equals("lease_not_found")) {
                lost(id, "the server no longer has it (expired or revoked)");
              }
              // Anything else: no answer now; the next check asks again.
            });
  }

  private void lost(long id, String reason) {
    SessionLease l;
    synchronized (this) {
      l = leases.remove(id);
    }
    if (l != null) {
      onLeaseLost.accept(new LeaseLostException(id, reason));
    }
  }

  // ------------------------------------------------------------------ messages

  private void onMessage(long gen, JsonNode m) {
    synchronized (this) {
      if (gen != generation) {
        return; // a message of a socket already replaced
      }
    }
    JsonNode reply = m.get("reply");
    if (reply != null) {
      onReply(reply);
    } else if (m.has("events")) {
      WatchState w = watchOf(m.path("watch_id").asLong(-1));
      if (w == null) {
        return;
      }
      long rev = m.path("revision").asLong();
      if (rev < w.next) {
        return; // already delivered (cannot happen on one socket; guards a resume)
      }
      for (JsonNode e : m.get("events")) {
        if (w.canceled) {
          return;
        }
        WatchEvent ev = Json.event(e);
        try {
          w.listener.onEvent(ev);
        } catch (RuntimeException bug) {
          // The application's listener failed: the watch goes on, as a socket would.
          Thread t = Thread.currentThread();
          t.getUncaughtExceptionHandler().uncaughtException(t, bug);
        }
      }
      w.next = rev + 1;
    } else if (m.has("progress")) {
      WatchState w = watchOf(m.path("watch_id").asLong(-1));
      long rev = m.path("revision").asLong();
      if (w != null && rev + 1 > w.next) {
        w.next = rev + 1;
      }
    } else if (m.has("canceled")) {
      onCanceled(m);
    } else if (m.has("lease_attached")) {
      synchronized (this) {
        SessionLease l = leases.get(m.get("lease_attached").path("id").asLong());
        if (l != null) {
          l.attached = true;
        }
        attachAnswered();
      }
    } else if (m.has("lease_expired")) {
      lost(m.get("lease_expired").path("id").asLong(), "it expired");
    } else if (m.has("error")) {
      String code = m.get("error").path("code").asText();
      if (code.equals("malformed_request") && !firstOpen.isDone()) {
        firstOpen.complete(null); // a server that takes no calls refused the probe
      }
      if (code.equals("lease_not_found") || code.equals("unavailable")) {
        synchronized (this) {
          attachAnswered(); // the session's errors without a watch are its lease requests'
        }
      }
      if (code.equals("lease_not_found")) {
        // An attach refused: the refusal names no lease, so ask about each unconfirmed one.
        List<Long> unconfirmed = new ArrayList<>();
        synchronized (this) {
          for (SessionLease l : leases.values()) {
            if (!l.attached) {
              unconfirmed.add(l.id);
            }
          }
        }
        unconfirmed.forEach(this::verify);
      }
    }
    // created, heartbeat and lock messages need nothing here.
  }

  private void onCanceled(JsonNode m) {
    WatchState w = watchOf(m.path("watch_id").asLong(-1));
    if (w == null || w.canceled) {
      return;
    }
    String reason = m.path("reason").asText();
    if (reason.equals("slow_consumer")) {
      // The server gave up on a slow reader: resume from what was delivered.
      long last = m.path("last_revision").asLong(0);
      synchronized (this) {
        if (last + 1 > w.next) {
          w.next = last + 1;
        }
        if (socket != null && !w.canceled) {
          enqueue(createMessage(w));
        }
      }
      return;
    }
    synchronized (this) {
      w.canceled = true;
      watches.remove(w.id);
    }
    CairnClientException error =
        reason.equals("compacted")
            ? new CompactedException(
                "the watch of '" + w.key + "' cannot resume at " + w.next + ": compacted",
                m.path("compact_revision").asLong(),
                0)
            : new ProblemException(
                0, reason, "the server ended the watch of '" + w.key + "'", 0, null);
    w.listener.onError(error);
  }

  private synchronized WatchState watchOf(long id) {
    return watches.get(id);
  }

  /** Receives one socket's messages (text frames joined) in order. */
  private final class Listener implements WebSocket.Listener {
    private final long gen;
    private final StringBuilder partial = new StringBuilder();

    Listener(long gen) {
      this.gen = gen;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        // With batch=true, replies that finish together come in one message, one per line; the
        // calls their callers make meanwhile go out together after them, in one message.
        List<JsonNode> messages = Json.readAll(text);
        synchronized (Session.this) {
          holdingSends = true;
        }
        try {
          for (JsonNode m : messages) {
            onMessage(gen, m);
          }
        } finally {
          synchronized (Session.this) {
            holdingSends = false;
            if (!sending && !outbox.isEmpty()) {
              pump(generation);
            }
          }
        }
      }
      if (stalled) {
        stalledAt = true; // a test holds the socket's messages back: read no more
      } else {
        ws.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      disconnected(gen);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      disconnected(gen);
    }
  }

  /** For tests: no more of the current socket's messages are read (replies stay unread). */
  private volatile boolean stalled;

  /** For tests: a message arrived after {@link #stallReading}, and none is read after it. */
  private volatile boolean stalledAt;

  /**
   * Stops reading the current socket's messages, as a client whose network path stalls, and returns
   * once no more are read (a heartbeat goes out so that one more arrives). For tests.
   */
  void stallReading(Duration timeout) throws InterruptedException {
    stalled = true;
    synchronized (this) {
      enqueue("{\"heartbeat\":{}}");
    }
    long until = System.nanoTime() + timeout.toNanos();
    while (!stalledAt) {
      if (System.nanoTime() - until > 0) {
        throw new IllegalStateException("the session's socket did not stall");
      }
      Thread.sleep(5);
    }
  }

  /** Drops the socket as if the network failed; the session reconnects by itself. For tests. */
  void dropConnection() {
    WebSocket s;
    synchronized (this) {
      s = socket;
    }
    if (s != null) {
      s.abort();
      long gen;
      synchronized (this) {
        gen = generation;
      }
      disconnected(gen);
    }
  }

  /** Closes the socket; nothing reconnects. Calls in flight fail as of unknown outcome. */
  void close() {
    WebSocket s;
    List<PendingCall> lost;
    synchronized (this) {
      closed = true;
      s = socket;
      socket = null;
      lost = takeCalls();
      if (ticker != null) {
        ticker.cancel(false);
      }
      watches.clear();
      leases.clear();
    }
    if (s != null) {
      s.abort();
    }
    firstOpen.complete(null);
    for (PendingCall p : lost) {
      p.result.completeExceptionally(
          p.sent && !p.call.idempotent()
              ? new OutcomeUnknownException(
                  p.call.method() + " " + p.call.path() + ": the client closed before its answer",
                  null)
              : new UnavailableException("the client is closed", null));
    }
  }
}
