package dev.cairn.http;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.barrier.BarrierApi;
import dev.cairn.http.cluster.ClusterApi;
import dev.cairn.http.counter.CounterApi;
import dev.cairn.http.election.ElectionApi;
import dev.cairn.http.kv.KvApi;
import dev.cairn.http.lease.LeaseApi;
import dev.cairn.http.lock.LockApi;
import dev.cairn.http.namespace.NamespaceApi;
import dev.cairn.http.ops.OpsApi;
import dev.cairn.http.queue.QueueApi;
import dev.cairn.http.rwlock.RwLockApi;
import dev.cairn.http.semaphore.SemaphoreApi;
import dev.cairn.http.services.ServiceApi;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request and turns every failure into problem+json: a client mistake is never a 500,
 * and an exception in a handler is logged and answered, never dropped.
 *
 * <p>Paths: {@code /v1/...} addresses namespace {@code default}, {@code /v1/ns/{ns}/...} any other.
 */
public final class Api implements CallRoutes {
  private static final Logger log = LoggerFactory.getLogger(Api.class);

  private final ActorSystem system;
  private final KvApi kv;
  private final LeaseApi leases;
  private final LockApi locks;
  private final ServiceApi services;
  private final RwLockApi rwlocks;
  private final SemaphoreApi semaphores;
  private final CounterApi counters;
  private final QueueApi queues;
  private final BarrierApi barriers;
  private final ElectionApi elections;
  private final NamespaceApi namespaceApi;
  private final OpsApi ops;
  private final ClusterApi cluster;
  private final WatchRoutes watches;
  private final long maxBodyBytes;
  private final MeterRegistry metrics;
  private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers =
      new java.util.concurrent.ConcurrentHashMap<>();

  public Api(
      ActorSystem system,
      Namespaces namespaces,
      OpsApi ops,
      WatchRoutes watches,
      long maxBodyBytes,
      MeterRegistry metrics) {
    this(system, namespaces, ops, watches, null, maxBodyBytes, metrics);
  }

  /** With {@code GET /v1/cluster} served by {@code cluster} (none when null). */
  public Api(
      ActorSystem system,
      Namespaces namespaces,
      OpsApi ops,
      WatchRoutes watches,
      ClusterApi cluster,
      long maxBodyBytes,
      MeterRegistry metrics) {
    this.system = system;
    this.cluster = cluster;
    this.kv = new KvApi(namespaces);
    this.leases = new LeaseApi(namespaces);
    this.locks = new LockApi(system, namespaces);
    this.services = new ServiceApi(system, namespaces, metrics);
    kv.onCommittedTxn(services::committed);
    this.rwlocks = new RwLockApi(system, namespaces);
    this.semaphores = new SemaphoreApi(system, namespaces);
    this.counters = new CounterApi(system, namespaces);
    this.queues = new QueueApi(system, namespaces);
    this.barriers = new BarrierApi(system, namespaces);
    this.elections = new ElectionApi(system, namespaces);
    this.namespaceApi = new NamespaceApi(namespaces);
    this.ops = ops;
    this.watches = watches;
    this.maxBodyBytes = maxBodyBytes;
    this.metrics = metrics;
  }

  /** Extra routes served before the namespace API; the watch API plugs in here. */
  public interface WatchRoutes {
    /** Returns null when the request is not a watch request. */
    CompletionStage<HttpResponse> handle(HttpRequest http, String namespace, List<String> rest);
  }

  /**
   * True for the paths of probes and metrics: {@code /health}, {@code /ready}, {@code /metrics}.
   */
  public static boolean isOpsPath(HttpRequest http) {
    String p = http.getUri().path();
    return p.equals("/health") || p.equals("/ready") || p.equals("/metrics");
  }

  /**
   * Serves only {@code /health}, {@code /ready} and {@code /metrics} (the ops listener, and
   * connections refused at the limit); anything else is 404.
   */
  public CompletionStage<HttpResponse> applyOps(HttpRequest http) {
    if (isOpsPath(http)) {
      return apply(http);
    }
    return drainThen(
            http,
            Responses.problem(
                ErrorCode.NOT_FOUND, "this listener serves only /health, /ready and /metrics"))
        .thenApply(r -> timed(http, System.nanoTime(), r));
  }

  public ActorSystem system() {
    return system;
  }

  /** The {@code /v1/services} handlers (their health checkers, for tests). */
  public ServiceApi services() {
    return services;
  }

  /** One timer per method and status, looked up without building tags on every request. */
  private Timer timer(String method, int status) {
    return timers.computeIfAbsent(
        method + ' ' + status,
        k ->
            Timer.builder("cairn.http.requests")
                .tag("method", method)
                .tag("status", Integer.toString(status))
                .register(metrics));
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest http) {
    long start = System.nanoTime();
    CompletionStage<HttpResponse> out;
    try {
      out = route(http);
    } catch (RuntimeException e) {
      out = CompletableFuture.failedFuture(e);
    }
    if (out instanceof CompletableFuture<HttpResponse> done
        && done.isDone()
        && !done.isCompletedExceptionally()) {
      // Answered already (e.g. a published read): no stages to chain.
      return CompletableFuture.completedFuture(timed(http, start, done.join()));
    }
    return out.exceptionallyCompose(err -> drainThen(http, failure(http, err)))
        .thenApply(r -> timed(http, start, r));
  }

  /** Calls answered by {@link #plain}, for tests. */
  private final LongAdder plainCalls = new LongAdder();

  /**
   * {@code GET} and {@code PUT} of {@code /v1/kv/{key}} or {@code /v1/ns/{ns}/kv/{key}} with no
   * query and no header (but a put's {@code Content-Type: application/octet-stream}): answered by
   * the handlers the routes call, with the same answer and the same request metric, but without an
   * {@link HttpRequest} to build, parse and route. Anything else, and anything the routes would
   * refuse before the handler (a body too large, a bad namespace name, bad percent-encoding), is
   * null and takes the routes.
   */
  @Override
  public CompletionStage<HttpResponse> plain(
      String method, String path, List<String> headers, byte[] body) {
    boolean get = method.equals("GET");
    boolean plainHeaders =
        headers.isEmpty()
            || (!get
                && headers.size() == 2
                && headers.get(0).equalsIgnoreCase("Content-Type")
                && headers.get(1).equals("application/octet-stream"));
    if (!plainHeaders
        || !(get
            ? body == null
            : method.equals("PUT") && body != null && body.length <= maxBodyBytes)
        || !plainPath(path)) {
      return null;
    }
    String ns;
    String rawKey;
    if (path.startsWith("/v1/kv/")) {
      ns = Namespaces.DEFAULT;
      rawKey = path.substring("/v1/kv/".length());
    } else if (path.startsWith("/v1/ns/")) {
      int slash = path.indexOf('/', "/v1/ns/".length());
      if (slash < 0 || !path.startsWith("/kv/", slash)) {
        return null;
      }
      ns = path.substring("/v1/ns/".length(), slash);
      if (ns.indexOf('%') >= 0 || !Namespaces.validName(ns)) {
        return null;
      }
      rawKey = path.substring(slash + "/kv/".length());
    } else {
      return null;
    }
    if (rawKey.isEmpty()) {
      return null;
    }
    String key;
    try {
      key = Request.decode(rawKey);
    } catch (ApiException e) {
      return null;
    }
    plainCalls.increment();
    long start = System.nanoTime();
    CompletionStage<HttpResponse> out;
    try {
      out = get ? kv.plainGet(ns, key) : kv.plainPut(ns, key, body);
    } catch (RuntimeException e) {
      out = CompletableFuture.failedFuture(e);
    }
    return out.exceptionally(err -> failure(method, path, err))
        .thenApply(r -> timed(method, start, r));
  }

  /**
   * Whether {@code path} has only characters a URI path takes as they are (letters, digits, {@code
   * -._~/} and percent-encoding): no query, and nothing the routes' URI parser might refuse.
   */
  private static boolean plainPath(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '/'
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '~'
              || c == '%';
      if (!plain) {
        return false;
      }
    }
    return true;
  }

  /** How many calls {@link #plain} has answered. */
  public long plainCallsAnswered() {
    return plainCalls.sum();
  }

  private HttpResponse timed(String method, long start, HttpResponse r) {
    timer(method, r.status().intValue()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    return r;
  }

  private HttpResponse timed(HttpRequest http, long start, HttpResponse r) {
    return timed(http.method().value(), start, r);
  }

  private CompletionStage<HttpResponse> route(HttpRequest http) {
    String path = rawPath(http);
    List<String> segs =
        Arrays.asList(
            path.startsWith("/") ? path.substring(1).split("/", -1) : path.split("/", -1));
    String first = segs.get(0);
    if (segs.size() == 1) {
      switch (first) {
        case "health":
          return noBody(http, ops::health);
        case "ready":
          return noBody(http, ops::ready);
        case "metrics":
          return noBody(http, ops::metrics);
        default:
          break;
      }
    }
    if (!first.equals("v1") || segs.size() < 2) {
      throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + path);
    }
    String second = segs.get(1);
    if (segs.size() == 2 && second.equals("openapi.yaml")) {
      return noBody(http, ops::openapi);
    }
    if (segs.size() == 2 && second.equals("cluster") && cluster != null) {
      return noBody(http, cluster::get);
    }
    if (second.equals("namespaces")) {
      refuseTrailingSlash(segs, path);
      List<String> rest = segs.subList(2, segs.size());
      return withBody(http, Namespaces.DEFAULT, "", r -> namespaceApi.handle(r, rest));
    }
    if (second.equals("ns")) {
      if (segs.size() < 4) {
        throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + path);
      }
      String ns = Request.decode(segs.get(2));
      if (!Namespaces.validName(ns)) {
        throw new ApiException(ErrorCode.NAMESPACE_NOT_FOUND, "no namespace named '" + ns + "'");
      }
      return namespaced(http, ns, segs.subList(3, segs.size()));
    }
    return namespaced(http, Namespaces.DEFAULT, segs.subList(1, segs.size()));
  }

  private CompletionStage<HttpResponse> namespaced(HttpRequest http, String ns, List<String> rest) {
    String resource = rest.get(0);
    if (watches != null) {
      CompletionStage<HttpResponse> w = watches.handle(http, ns, rest);
      if (w != null) {
        return w;
      }
    }
    switch (resource) {
      case "kv":
        {
          String rawKey = String.join("/", rest.subList(1, rest.size()));
          return withBody(http, ns, rawKey, r -> kv.kv(r, rawKey));
        }
      case "txn":
        return exactly(rest, 1, http, ns, kv::txn);
      case "compact":
        return exactly(rest, 1, http, ns, kv::compact);
      case "locks":
        {
          String name = Request.decode(String.join("/", rest.subList(1, rest.size())));
          return withBody(http, ns, "", r -> locks.handle(r, name));
        }
      case "services":
        {
          refuseTrailingSlash(rest, http.getUri().path());
          List<String> sub = rest.subList(1, rest.size());
          return withBody(http, ns, "", r -> services.handle(r, sub));
        }
      case "rwlocks":
        {
          String name = Request.decode(String.join("/", rest.subList(1, rest.size())));
          return withBody(http, ns, "", r -> rwlocks.handle(r, name));
        }
      case "semaphores":
        {
          String name = Request.decode(String.join("/", rest.subList(1, rest.size())));
          return withBody(http, ns, "", r -> semaphores.handle(r, name));
        }
      case "counters":
        {
          String name = Request.decode(String.join("/", rest.subList(1, rest.size())));
          return withBody(http, ns, "", r -> counters.handle(r, name));
        }
      case "queues":
        {
          List<String> sub = rest.subList(1, rest.size());
          return withBody(http, ns, "", r -> queues.handle(r, sub));
        }
      case "barriers":
        {
          List<String> sub = rest.subList(1, rest.size());
          return withBody(http, ns, "", r -> barriers.handle(r, sub));
        }
      case "elections":
        {
          String name = Request.decode(String.join("/", rest.subList(1, rest.size())));
          return withBody(http, ns, "", r -> elections.handle(r, name));
        }
      case "leases":
        {
          refuseTrailingSlash(rest, http.getUri().path());
          List<String> sub = rest.subList(1, rest.size());
          return withBody(http, ns, "", r -> leases.handle(r, sub));
        }
      default:
        throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + http.getUri().path());
    }
  }

  private CompletionStage<HttpResponse> exactly(
      List<String> rest,
      int n,
      HttpRequest http,
      String ns,
      Function<Request, CompletionStage<HttpResponse>> handler) {
    refuseTrailingSlash(rest, http.getUri().path());
    if (rest.size() != n) {
      throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + http.getUri().path());
    }
    return withBody(http, ns, "", handler);
  }

  /**
   * The path as the client sent it, still percent-encoded. Pekko's parsed path has its dot segments
   * removed, percent-encoded ones too, so {@code /v1/ns/a/%2E%2E/%2E%2E/kv/k} would reach the
   * default namespace and key {@code d/%2E%2E/k} would alias key {@code k}; invalid UTF-8 would
   * become U+FFFD. The raw path keeps every segment as sent ({@code raw-request-uri-header = on}).
   */
  private static String rawPath(HttpRequest http) {
    var raw = http.getHeader(org.apache.pekko.http.javadsl.model.headers.RawRequestURI.class);
    if (raw.isEmpty()) {
      return http.getUri().path();
    }
    String u = raw.get().uri();
    int scheme = u.startsWith("/") ? -1 : u.indexOf("://");
    if (scheme >= 0) {
      int slash = u.indexOf('/', scheme + 3);
      u = slash < 0 ? "/" : u.substring(slash);
    }
    int q = u.indexOf('?');
    return q < 0 ? u : u.substring(0, q);
  }

  /**
   * One URL per resource: {@code /v1/leases/} is not {@code /v1/leases} (it would be the lease
   * {@code ""}), so it is no resource, with the hint a client needs. Only a key may end in '/'.
   */
  private static void refuseTrailingSlash(List<String> segs, String path) {
    if (segs.size() > 1 && segs.get(segs.size() - 1).isEmpty()) {
      String without = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      throw new ApiException(
          ErrorCode.NOT_FOUND, "no resource at " + path + "; without the trailing '/': " + without);
    }
  }

  private CompletionStage<HttpResponse> noBody(
      HttpRequest http, java.util.function.Supplier<CompletionStage<HttpResponse>> handler) {
    if (http.method() != HttpMethods.GET && http.method() != HttpMethods.HEAD) {
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET");
    }
    refuseBody(http);
    return handler.get();
  }

  /**
   * Reads the body (bounded) for every method but GET and HEAD, which must not have one. A DELETE's
   * body means nothing, but it is read to its end like any other before the answer goes out: an
   * answer sent while the client is still sending makes Pekko close the connection, and the client
   * may then lose the answer to a reset (see {@link #drainThen}).
   */
  private CompletionStage<HttpResponse> withBody(
      HttpRequest http,
      String ns,
      String path,
      Function<Request, CompletionStage<HttpResponse>> handler) {
    var m = http.method();
    if (m == HttpMethods.GET || m == HttpMethods.HEAD) {
      refuseBody(http);
      return handler.apply(new Request(http, ns, path, new byte[0]));
    }
    if (http.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict) {
      // The usual case, a body that came whole with the headers: no stream to run.
      if (strict.getData().length() > maxBodyBytes) {
        throw new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, bodyTooLarge());
      }
      return handler.apply(new Request(http, ns, path, strict.getData().toArrayUnsafe()));
    }
    return http.entity()
        .toStrict(10_000, maxBodyBytes, system)
        .thenCompose(
            strict -> handler.apply(new Request(http, ns, path, strict.getData().toArrayUnsafe())));
  }

  /**
   * Answers {@code r} once the request body is read and dropped. An answer sent on an unread body
   * makes Pekko close the connection, and a client still sending then gets a reset, not {@code r}.
   * A body already read (or being discarded) fails this discard at once, which is fine.
   */
  private CompletionStage<HttpResponse> drainThen(HttpRequest http, HttpResponse r) {
    return http.discardEntityBytes(system).completionStage().handle((done, t) -> r);
  }

  private void refuseBody(HttpRequest http) {
    OptionalLong len = http.entity().getContentLengthOption();
    if (len.isEmpty() || len.getAsLong() > 0) {
      // apply() drains the body before it answers.
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, http.method().value() + " requests must not have a body");
    }
  }

  private String bodyTooLarge() {
    return "request body is larger than the limit of " + maxBodyBytes + " bytes";
  }

  private HttpResponse failure(HttpRequest http, Throwable t) {
    return failure(http.method().value(), http.getUri().path(), t);
  }

  private HttpResponse failure(String method, String path, Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException
            || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof ApiException a) {
      return Responses.problem(a.code(), a.getMessage());
    }
    if (e instanceof dev.cairn.recipes.CairnException c) {
      // A recipe's refusal, or the store's refusal of a recipe's request.
      return Responses.problem(c.code(), c.getMessage());
    }
    if (e instanceof EntityStreamSizeException
        || (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException es
            && "Request too large".equals(es.info().summary()))) {
      // A chunked body fails with the former, one with a Content-Length over the limit the latter.
      return Responses.problem(ErrorCode.PAYLOAD_TOO_LARGE, bodyTooLarge());
    }
    if (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException es) {
      return Responses.problem(ErrorCode.MALFORMED_REQUEST, es.info().summary());
    }
    if (e instanceof AskTimeoutException) {
      return Responses.problem(
          ErrorCode.TIMEOUT, "the namespace leader did not answer in time; retry");
    }
    if (e instanceof org.apache.pekko.http.scaladsl.model.IllegalUriException) {
      return Responses.problem(ErrorCode.MALFORMED_REQUEST, e.getMessage());
    }
    log.error("unhandled failure on {} {}", method, path, e);
    return Responses.problem(ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName());
  }
}
