package dev.cairn.client;

import dev.cairn.core.keyspace.KeyRange;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of a Cairn cluster (or one node): {@link #kv()}, {@link #leases()}, {@link #watch
 * watches} and, through {@link #recipes()}, locks, elections and the other recipes, all in one
 * namespace.
 *
 * <pre>{@code
 * try (CairnClient cairn = CairnClient.connect("http://10.0.0.1:7070", "http://10.0.0.2:7070")) {
 *   cairn.kv().blocking().put("app/config", "mode=blue");
 *   Watch w = cairn.watchPrefix("app/", 0, event -> System.out.println(event));
 * }
 * }</pre>
 *
 * <p><b>Transport.</b> Requests go as calls over the client's WebSocket session with the current
 * endpoint (opened when the client is built), multiplexed, replies in the order they finish; while
 * that socket is not open they are HTTP/2 over cleartext, multiplexed on one connection. Watches
 * and lease keepalives share the same session. On a connection failure or a 503 the client moves to
 * the next endpoint: reads and other idempotent requests are retried (honouring {@code
 * Retry-After}, a bounded number of times); a write whose outcome is unknown fails with {@link
 * OutcomeUnknownException}.
 *
 * <p><b>Threads.</b> Everything runs on the client's own executor ({@link Builder#threads}) and one
 * timer thread, never on the JDK's common pool; stages complete and listeners are called there, so
 * do not block in them. The JDK's HTTP clients (one for requests, one for the session) each have a
 * selector thread. {@link #close()} stops the client's threads (the JDK's end theirs once the
 * client is unreachable).
 *
 * <p>Thread-safe.
 */
public final class CairnClient implements AutoCloseable {
  private static final AtomicInteger clients = new AtomicInteger();

  private final ExecutorService executor;
  private final ScheduledThreadPoolExecutor timer;
  private final Transport transport;
  private final Session session;
  private final Kv kv;
  private final Leases leases;
  private final String base;
  private final NetworkKeyspace keyspace;
  private final Recipes recipes;
  private volatile HttpClient http;
  private volatile HttpClient sessionHttp;

  private CairnClient(Builder b) {
    int n = clients.incrementAndGet();
    this.executor =
        new ThreadPoolExecutor(
            b.threads,
            b.threads,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            threads("cairn-client-" + n + "-io-"));
    this.timer = new ScheduledThreadPoolExecutor(1, threads("cairn-client-" + n + "-timer-"));
    timer.setRemoveOnCancelPolicy(true);
    // Requests: the JDK client's tasks run in place (its selector thread reads and completes,
    // the sender's thread writes), not handed to an executor at each step: at 64 callers that
    // halved the client's CPU per request (docs/benchmarks.md). Transport hands each answer to
    // the executor. The session's WebSocket has its own client calling back on the executor, so
    // that its listeners (and the application's) never run on a selector thread.
    this.http =
        HttpClient.newBuilder()
            .version(b.multiplexed ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
            .executor(Runnable::run)
            .connectTimeout(b.connectTimeout)
            .build();
    this.sessionHttp =
        HttpClient.newBuilder().executor(executor).connectTimeout(b.connectTimeout).build();
    this.base =
        b.namespace.equals("default")
            ? "/v1"
            : "/v1/ns/" + Kv.path(b.namespace).replace("/", "%2F");
    this.transport =
        new Transport(
            b.endpoints,
            http,
            sessionHttp,
            executor,
            timer,
            b.requestTimeout,
            b.maxAttempts,
            b.maxRetryDelay);
    Leases[] l = new Leases[1];
    this.session = new Session(transport, base, timer, lost -> l[0].lost(lost));
    transport.channel(session);
    this.kv = new Kv(transport, base);
    this.leases = new Leases(transport, base, session);
    l[0] = leases;
    this.keyspace = new NetworkKeyspace(this);
    this.recipes = new Recipes(this);
  }

  /** Connects to {@code endpoints} ({@code http://host:port}) with the default settings. */
  public static CairnClient connect(String... endpoints) {
    return builder().endpoints(endpoints).build();
  }

  /** A client to configure: endpoints, namespace, timeouts, retries, threads. */
  public static Builder builder() {
    return new Builder();
  }

  /** Keys, values and transactions. */
  public Kv kv() {
    return kv;
  }

  /** Leases, kept alive by the client. */
  public Leases leases() {
    return leases;
  }

  /** The cluster's namespaces: list, create, delete. */
  public Namespaces namespaces() {
    return new Namespaces(transport);
  }

  /**
   * The answering node's view of the cluster ({@code GET /v1/cluster}): its members and their
   * status, where each namespace leads, the journal. The document is the server's, as JSON; its
   * fields are described by the {@code ClusterResponse} schema of the server's OpenAPI.
   */
  public CompletionStage<com.fasterxml.jackson.databind.JsonNode> clusterStatus() {
    return transport.send(Transport.Call.get("/v1/cluster")).thenApply(Transport.Answer::json);
  }

  /** Locks, elections, semaphores, barriers, queues, counters and services over this client. */
  public Recipes recipes() {
    return recipes;
  }

  /**
   * This client as the recipes' {@link dev.cairn.recipes.CairnClient} interface, so the recipes of
   * {@code recipes/} run over the network exactly as the server runs them in process.
   */
  public dev.cairn.recipes.CairnClient keyspace() {
    return keyspace;
  }

  /**
   * Watches one key's changes from {@code fromRevision} (0: from now on), delivered to {@code
   * listener} in revision order, exactly once, across dropped connections, until cancelled.
   */
  public Watch watch(String key, long fromRevision, WatchListener listener) {
    return watch(key, false, fromRevision, listener);
  }

  /** Watches every key starting with {@code prefix}; see {@link #watch}. */
  public Watch watchPrefix(String prefix, long fromRevision, WatchListener listener) {
    return watch(prefix, true, fromRevision, listener);
  }

  private Watch watch(String key, boolean prefix, long from, WatchListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (from > 0) {
      return session.watch(key, prefix, false, from, listener);
    }
    // "From now on" is pinned to a revision first, so that a resume after a dropped connection
    // before the first event still starts where the watch began.
    PendingWatch w = new PendingWatch();
    String path =
        base + "/kv/" + Kv.path(key) + "?count_only=true" + (prefix ? "&prefix=true" : "");
    transport
        .send(Transport.Call.get(path))
        .whenComplete(
            (a, e) -> {
              if (e != null) {
                Throwable c = Transport.unwrap(e);
                listener.onError(
                    c instanceof CairnClientException ce
                        ? ce
                        : new UnavailableException("cannot start the watch: " + c, c));
                return;
              }
              long now = a.json().path("revision").asLong(a.revision());
              w.started(session.watch(key, prefix, false, now + 1, listener));
            });
    return w;
  }

  /** A watch whose start revision is being looked up. */
  private static final class PendingWatch implements Watch {
    private Watch started;
    private boolean canceled;

    synchronized void started(Watch w) {
      if (canceled) {
        w.cancel();
      } else {
        started = w;
      }
    }

    @Override
    public synchronized void cancel() {
      canceled = true;
      if (started != null) {
        started.cancel();
      }
    }

    @Override
    public synchronized long nextRevision() {
      return started == null ? 0 : started.nextRevision();
    }
  }

  /**
   * Runs {@code task} once after {@code delay} on the client's timer thread (the recipes time their
   * waits with it); a client already closed runs nothing.
   */
  dev.cairn.recipes.CairnClient.Scheduled schedule(Duration delay, Runnable task) {
    try {
      java.util.concurrent.ScheduledFuture<?> f =
          timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      return () -> {};
    }
  }

  /** The endpoints, in the order the client tries them. */
  public List<URI> endpoints() {
    return transport.endpoints();
  }

  String base() {
    return base;
  }

  Transport transport() {
    return transport;
  }

  Session session() {
    return session;
  }

  /** Drops the session's connection as a network failure would. For tests of resumption. */
  void dropSession() {
    session.dropConnection();
  }

  /**
   * Waits for {@code stage} and returns its value, throwing the client's exception as it is (not
   * wrapped); the blocking wrappers are this over the asynchronous calls.
   */
  public static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationExceptionWithCause("interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = Transport.unwrap(e.getCause());
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(c);
    }
  }

  /** Thrown by {@link #await} when the waiting thread is interrupted. */
  private static final class CancellationExceptionWithCause
      extends java.util.concurrent.CancellationException {
    CancellationExceptionWithCause(String message, Throwable cause) {
      super(message);
      initCause(cause);
    }
  }

  /**
   * Closes the session (its leases are no longer renewed and expire after their TTL; revoke them
   * first to end them at once) and stops the client's threads. Stages still pending fail.
   */
  @Override
  public void close() {
    session.close();
    timer.shutdownNow();
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<HttpClient> hs = new ArrayList<>();
    hs.add(http);
    hs.add(sessionHttp);
    http = null;
    sessionHttp = null;
    transport.close();
    for (HttpClient h : hs) {
      if (h instanceof AutoCloseable c) { // Java 21 and later: stops the selector thread now
        try {
          c.close();
        } catch (Exception ignored) {
          // closing is best effort
        }
      }
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The client's settings. */
  public static final class Builder {
    private final List<URI> endpoints = new ArrayList<>();
    private String namespace = "default";
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration maxRetryDelay = Duration.ofSeconds(5);
    private int maxAttempts;
    private int threads = 2;
    private boolean multiplexed = true;
    private boolean sessionCalls = true;

    private Builder() {}

    /**
     * Whether requests go over the session's WebSocket as calls (default), opened when the client
     * is built, or only over HTTP/2. Over the socket a request costs the server and the client less
     * than an HTTP/2 stream (no HPACK, no stream state); HTTP/2 stays the path whenever the socket
     * is not open (connecting, reconnecting, or on another node than the one requests go to).
     * Ignored when not {@link #multiplexed}.
     */
    public Builder sessionCalls(boolean sessionCalls) {
      this.sessionCalls = sessionCalls;
      return this;
    }

    /**
     * Whether requests are multiplexed over HTTP/2 (default), or sent over HTTP/1.1 with no
     * up-front request to switch protocols: for a short-lived process that makes a request or two
     * (the command line), where the switch costs more than it saves.
     */
    public Builder multiplexed(boolean multiplexed) {
      this.multiplexed = multiplexed;
      return this;
    }

    /** The nodes to talk to ({@code http://host:port}), tried in this order. */
    public Builder endpoints(String... urls) {
      for (String u : urls) {
        URI uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
        if (!"http".equals(uri.getScheme())) {
          throw new IllegalArgumentException("an endpoint is http://host:port, not " + u);
        }
        endpoints.add(uri);
      }
      return this;
    }

    /** The namespace every call addresses (default: {@code default}). */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace);
      return this;
    }

    /** How long one attempt of a request may take (default 30 s). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** How long opening a connection may take (default 3 s). */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    /** Attempts of one request in all (default: three per endpoint, at least 4). */
    public Builder maxAttempts(int n) {
      this.maxAttempts = n;
      return this;
    }

    /** The longest wait before a retry, whatever {@code Retry-After} says (default 5 s). */
    public Builder maxRetryDelay(Duration d) {
      this.maxRetryDelay = d;
      return this;
    }

    /** Threads of the client's executor (default 2). */
    public Builder threads(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("threads must be at least 1");
      }
      this.threads = n;
      return this;
    }

    /** Creates the client and opens its HTTP/2 connection to the first endpoint. */
    public CairnClient build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("no endpoint");
      }
      if (maxAttempts <= 0) {
        maxAttempts = Math.max(4, 3 * endpoints.size());
      }
      CairnClient c = new CairnClient(this);
      if (!multiplexed) {
        return c;
      }
      // One request first: it switches the connection to HTTP/2 (Upgrade: h2c) before concurrent
      // requests would each open a connection of HTTP/1.1. A node that is down is no error here.
      try {
        c.http
            .sendAsync(
                java.net.http.HttpRequest.newBuilder(endpoints.get(0).resolve("/health"))
                    .timeout(requestTimeout)
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding())
            .handle((a, e) -> null)
            .get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception ignored) {
        // the first real request reports what is wrong, and fails over
      }
      if (sessionCalls) {
        c.session.openForCalls(connectTimeout);
      }
      return c;
    }
  }

  static String prefixEnd(String prefix) {
    return KeyRange.prefixEnd(prefix);
  }

  static <T> CompletableFuture<T> failed(Throwable t) {
    return CompletableFuture.failedFuture(t);
  }
}
