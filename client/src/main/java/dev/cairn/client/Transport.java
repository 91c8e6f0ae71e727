package dev.cairn.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * HTTP requests to the endpoints, multiplexed: one {@link HttpClient} speaking HTTP/2 (h2c), so all
 * requests to a node share one connection. That client runs its own tasks in place (on its selector
 * thread or the sender's), which saves the JDK's hand-offs between threads per request; each answer
 * is then handled on the client's executor. Requests go to the current endpoint; on a connection
 * failure or a 503 the client moves to the next endpoint and retries, waiting as the server's
 * {@code Retry-After} asks (capped), at most {@link CairnClient.Builder#maxAttempts} times in all.
 * Only requests that cannot have taken effect twice are retried after they may have reached a
 * server: reads and other idempotent requests; a write that may have been applied fails with {@link
 * OutcomeUnknownException}.
 *
 * <p>Thread-safe. Stages complete on the client's executor.
 */
final class Transport {
  /**
   * An answer with a status below 400: over HTTP its body, parsed when asked; over the session its
   * body already parsed (it came inside the reply's JSON).
   */
  static final class Answer {
    private final int status;
    private final long revision;
    private final byte[] body;
    private JsonNode json;

    Answer(int status, long revision, byte[] body, JsonNode json) {
      this.status = status;
      this.revision = revision;
      this.body = body;
      this.json = json;
    }

    int status() {
      return status;
    }

    JsonNode json() {
      JsonNode j = json;
      if (j == null) {
        j = body == null || body.length == 0 ? Json.MAPPER.missingNode() : Json.read(body);
        json = j;
      }
      return j;
    }

    /** {@code X-Cairn-Revision}, or 0. */
    long revision() {
      return revision;
    }
  }

  /**
   * One request.
   *
   * @param idempotent whether sending it twice has the same effect as once (then it is retried
   *     after an unknown outcome)
   */
  record Call(String method, String path, byte[] body, List<String> headers, boolean idempotent) {
    static Call get(String path) {
      return new Call("GET", path, null, List.of(), true);
    }
  }

  private final List<URI> endpoints;
  private volatile HttpClient http;
  private volatile HttpClient sessionHttp;
  private final ScheduledExecutorService timer;
  private final ExecutorService executor;
  private final Duration requestTimeout;
  private final int maxAttempts;
  private final Duration maxRetryDelay;
  private volatile int current;

  /** The session, whose WebSocket carries requests while it is open (null: HTTP only). */
  private volatile Session channel;

  /** Attempts sent as calls on the session's socket, and over HTTP (for tests and benchmarks). */
  final java.util.concurrent.atomic.LongAdder sentAsCalls =
      new java.util.concurrent.atomic.LongAdder();

  final java.util.concurrent.atomic.LongAdder sentOverHttp =
      new java.util.concurrent.atomic.LongAdder();

  Transport(
      List<URI> endpoints,
      HttpClient http,
      HttpClient sessionHttp,
      ExecutorService executor,
      ScheduledExecutorService timer,
      Duration requestTimeout,
      int maxAttempts,
      Duration maxRetryDelay) {
    this.endpoints = List.copyOf(endpoints);
    this.http = http;
    this.sessionHttp = sessionHttp;
    this.executor = executor;
    this.timer = timer;
    this.requestTimeout = requestTimeout;
    this.maxAttempts = maxAttempts;
    this.maxRetryDelay = maxRetryDelay;
  }

  List<URI> endpoints() {
    return endpoints;
  }

  /** How long one attempt of a request may take, over HTTP or as a call. */
  Duration requestTimeout() {
    return requestTimeout;
  }

  /** The endpoint requests go to now. */
  int current() {
    return current;
  }

  /** Moves on from endpoint {@code failed} to the next (unless another caller already did). */
  void failedOver(int failed) {
    if (current == failed) {
      current = (failed + 1) % endpoints.size();
    }
  }

  /**
   * Sends requests over {@code session}'s WebSocket whenever it is open to the current endpoint.
   */
  void channel(Session session) {
    this.channel = session;
  }

  HttpClient http() {
    HttpClient h = http;
    if (h == null) {
      throw new IllegalStateException("the client is closed");
    }
    return h;
  }

  /** The HTTP client of the session's WebSocket: it calls back on the client's executor. */
  HttpClient sessionHttp() {
    HttpClient h = sessionHttp;
    if (h == null) {
      throw new IllegalStateException("the client is closed");
    }
    return h;
  }

  /** Lets go of the HTTP clients, so that the JDK can end their selector threads. */
  void close() {
    http = null;
    sessionHttp = null;
  }

  /** Sends {@code call}; completes with the answer, or a {@link CairnClientException}. */
  CompletableFuture<Answer> send(Call call) {
    CompletableFuture<Answer> result = new CompletableFuture<>();
    attempt(call, 1, null, result);
    return result;
  }

  private void attempt(Call call, int n, Throwable last, CompletableFuture<Answer> result) {
    int endpoint = current;
    Session s = channel;
    if (s != null && s.call(call, n, endpoint, result)) {
      sentAsCalls.increment();
      return; // the session's socket carries it; its reply comes back through channelAnswered
    }
    attemptHttp(call, n, last, endpoint, result);
  }

  private void attemptHttp(
      Call call, int n, Throwable last, int endpoint, CompletableFuture<Answer> result) {
    sentOverHttp.increment();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(endpoints.get(endpoint).resolve(call.path()))
            .timeout(requestTimeout);
    for (int i = 0; i + 1 < call.headers().size(); i += 2) {
      b.header(call.headers().get(i), call.headers().get(i + 1));
    }
    b.method(
        call.method(),
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(call.body()));
    HttpClient h = http;
    if (h == null) {
      result.completeExceptionally(new UnavailableException("the client is closed", last));
      return;
    }
    // The JDK client completes on its selector thread (its executor runs tasks in place): one hop
    // to the client's executor here, for the answer's handling and everything after it.
    h.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete(
            (r, e) -> {
              try {
                executor.execute(
                    () -> {
                      if (e == null) {
                        answered(call, n, endpoint, r, result);
                      } else {
                        failed(call, n, endpoint, unwrap(e), result);
                      }
                    });
              } catch (java.util.concurrent.RejectedExecutionException closed) {
                result.completeExceptionally(new UnavailableException("the client is closed", e));
              }
            });
  }

  private void answered(
      Call call, int n, int endpoint, HttpResponse<byte[]> r, CompletableFuture<Answer> result) {
    int status = r.statusCode();
    if (status < 400) {
      result.complete(
          new Answer(
              status, r.headers().firstValueAsLong("x-cairn-revision").orElse(0), r.body(), null));
      return;
    }
    answeredProblem(call, n, endpoint, problem(status, r.headers(), r.body()), result);
  }

  /**
   * The session's reply to a call sent on its socket to {@code endpoint}: handled as the same
   * answer over HTTP would be. A call the session refused unrun ({@code too_many_requests}) goes
   * over HTTP instead.
   */
  void channelAnswered(
      Call call,
      int n,
      int endpoint,
      int status,
      long revision,
      String retryAfter,
      JsonNode body,
      CompletableFuture<Answer> result) {
    if (status < 400) {
      result.complete(new Answer(status, revision, null, body));
      return;
    }
    ProblemException p = problem(status, revision, retryAfter, body, null);
    if (status == 429 && p.code().equals("too_many_requests")) {
      attemptHttp(call, n, p, current, result);
      return;
    }
    answeredProblem(call, n, endpoint, p, result);
  }

  /**
   * The session's socket closed before call's reply came: {@code notSent} when the call never
   * reached the socket (safe to send again, whatever it is).
   */
  void channelFailed(
      Call call,
      int n,
      int endpoint,
      boolean notSent,
      Throwable e,
      CompletableFuture<Answer> result) {
    failed(call, n, endpoint, notSent, e, result);
  }

  private void answeredProblem(
      Call call, int n, int endpoint, ProblemException p, CompletableFuture<Answer> result) {
    int status = p.status();
    if (status != 503) {
      result.completeExceptionally(p);
      return;
    }
    // 503: this node cannot serve now. Refusals before the request was handled are safe to retry
    // anywhere; anything else is safe only for an idempotent request.
    boolean notHandled =
        p.code().equals("too_many_connections") || p.code().equals("cassandra_unreachable");
    if (!call.idempotent() && !notHandled) {
      result.completeExceptionally(
          new OutcomeUnknownException(
              call.method() + " " + call.path() + " answered 503 " + p.code() + ": not retried",
              p));
      return;
    }
    failedOver(endpoint);
    retry(call, n, p, p.retryAfter().orElse(null), result);
  }

  private void failed(
      Call call, int n, int endpoint, Throwable e, CompletableFuture<Answer> result) {
    boolean notSent =
        e instanceof ConnectException
            || e instanceof HttpConnectTimeoutException
            || e instanceof UnresolvedAddressException;
    failed(call, n, endpoint, notSent, e, result);
  }

  private void failed(
      Call call,
      int n,
      int endpoint,
      boolean notSent,
      Throwable e,
      CompletableFuture<Answer> result) {
    if (!notSent && !call.idempotent()) {
      result.completeExceptionally(
          new OutcomeUnknownException(
              call.method() + " " + call.path() + " may or may not have been applied: " + e, e));
      return;
    }
    if (!(e instanceof IOException) && !(e instanceof UnresolvedAddressException)) {
      result.completeExceptionally(e); // a bug, not the network
      return;
    }
    failedOver(endpoint);
    retry(call, n, e, null, result);
  }

  private void retry(
      Call call, int n, Throwable cause, Duration retryAfter, CompletableFuture<Answer> result) {
    if (n >= maxAttempts) {
      result.completeExceptionally(
          new UnavailableException(
              call.method() + " " + call.path() + ": no endpoint answered in " + n + " attempts",
              cause));
      return;
    }
    // After a full round of the endpoints, back off (or wait as long as the server asked).
    Duration delay =
        retryAfter != null
            ? retryAfter
            : n % endpoints.size() == 0
                ? Duration.ofMillis(Math.min(2_000, 100L << Math.min(5, n / endpoints.size())))
                : Duration.ZERO;
    if (delay.compareTo(maxRetryDelay) > 0) {
      delay = maxRetryDelay;
    }
    try {
      if (delay.isZero()) {
        executor.execute(() -> attempt(call, n + 1, cause, result));
      } else {
        timer.schedule(
            () -> attempt(call, n + 1, cause, result), delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      result.completeExceptionally(new UnavailableException("the client is closed", cause));
    }
  }

  static ProblemException problem(int status, java.net.http.HttpHeaders h, byte[] body) {
    return problem(
        status,
        h.firstValueAsLong("x-cairn-revision").orElse(0),
        h.firstValue("retry-after").orElse(null),
        null,
        body);
  }

  /**
   * A problem answer: its body as parsed JSON ({@code json}) or as bytes, which may not be JSON (a
   * proxy's page); {@code retryAfter} is the header's value, or null.
   */
  static ProblemException problem(
      int status, long revisionHeader, String retryAfterHeader, JsonNode json, byte[] body) {
    String code = "http_" + status;
    String detail = null;
    long revision = revisionHeader;
    long compact = 0;
    try {
      JsonNode j = json != null ? json : Json.read(body);
      if (j.hasNonNull("code")) {
        code = j.get("code").asText();
      }
      detail = j.path("detail").asText(null);
      revision = j.path("revision").asLong(revision);
      compact = j.path("compact_revision").asLong(0);
    } catch (RuntimeException notJson) {
      detail = body == null ? null : new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
    if (code.equals("compacted")) {
      return new CompactedException(detail, compact, revision);
    }
    Duration retryAfter = null;
    if (retryAfterHeader != null) {
      try {
        retryAfter = Duration.ofSeconds(Long.parseLong(retryAfterHeader.trim()));
      } catch (NumberFormatException httpDate) {
        retryAfter = Duration.ofSeconds(1);
      }
    }
    return new ProblemException(status, code, detail, revision, retryAfter);
  }

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** True for the timeouts of a request that was sent. */
  static boolean isTimeout(Throwable e) {
    return e instanceof HttpTimeoutException && !(e instanceof HttpConnectTimeoutException);
  }
}
