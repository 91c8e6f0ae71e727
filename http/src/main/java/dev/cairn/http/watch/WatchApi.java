package dev.cairn.http.watch;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHubs;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.http.Api;
import dev.cairn.http.ApiException;
import dev.cairn.http.CallRoutes;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.recipes.CairnClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /v1/watch} (WebSocket) and {@code GET /v1/watch/{key}} (server-sent events). */
public final class WatchApi implements Api.WatchRoutes {
  private final ActorSystem system;
  private final Namespaces namespaces;
  private final WatchSettings settings;
  private final Function<String, CairnClient> recipes;
  private final AtomicInteger open = new AtomicInteger();
  private final Materializer materializer;
  private final WatchMetrics metrics;
  private static final Logger log = LoggerFactory.getLogger(WatchApi.class);
  private final AtomicLong names = new AtomicLong();

  /** What runs a session's calls: the client port's routes (null until {@link #serveCalls}). */
  private volatile CallRoutes calls;

  /** Watch connections' actors are named with this prefix and a number, for {@link #shutdown}. */
  private static final String NAME_PREFIX = "watch-";

  /** Refusals at the connection limit: logged at most once a second, with the count since. */
  private final AtomicLong refusedSinceLog = new AtomicLong();

  private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - 2_000_000_000L);

  /**
   * Counts in {@code metrics} ({@code /metrics}); a session's locks run through {@code recipes}
   * (the recipes' client of a namespace; null: sessions take no locks).
   */
  public WatchApi(
      ActorSystem system,
      Namespaces namespaces,
      MeterRegistry metrics,
      Function<String, CairnClient> recipes) {
    this.system = system;
    this.recipes = recipes;
    this.namespaces = namespaces;
    this.settings = WatchSettings.fromConfig(system.settings().config());
    this.materializer = Materializer.matFromSystem(system);
    this.metrics = new WatchMetrics(metrics, open, WatchHubs.get(system));
  }

  /** Counts in {@code metrics}; sessions take no locks. */
  public WatchApi(ActorSystem system, Namespaces namespaces, MeterRegistry metrics) {
    this(system, namespaces, metrics, null);
  }

  /** Counts nowhere; sessions take no locks. */
  public WatchApi(ActorSystem system, Namespaces namespaces) {
    this(system, namespaces, new SimpleMeterRegistry());
  }

  @Override
  public CompletionStage<HttpResponse> handle(HttpRequest http, String ns, List<String> rest) {
    if (!rest.get(0).equals("watch")) {
      return null;
    }
    if (http.getAttribute(Calls.CALL).isPresent()) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT, "a watch is not a call: send create on the session instead");
    }
    if (http.method() != HttpMethods.GET) {
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET");
    }
    boolean sse = rest.size() > 1 && !(rest.size() == 2 && rest.get(1).isEmpty());
    if (open.incrementAndGet() > settings.maxConnections()) {
      open.decrementAndGet();
      refused(http);
      http.discardEntityBytes(system);
      return CompletableFuture.completedFuture(
          Responses.problem(
              ErrorCode.TOO_MANY_CONNECTIONS,
              "this node serves at most " + settings.maxConnections() + " watch connections"));
    }
    try {
      CompletionStage<HttpResponse> r =
          sse
              ? sse(http, ns, String.join("/", rest.subList(1, rest.size())))
              : CompletableFuture.completedFuture(webSocket(http, ns));
      return r.whenComplete(
          (ok, e) -> {
            if (e != null) {
              open.decrementAndGet();
            }
          });
    } catch (RuntimeException e) {
      open.decrementAndGet();
      throw e;
    }
  }

  /**
   * Lets WebSocket sessions opened from now on send requests over the socket ({@code call}), run
   * through {@code routes} (the client port's: the same endpoints, problems and headers).
   */
  public void serveCalls(CallRoutes routes) {
    this.calls = routes;
  }

  /** Watch connections open now (WebSocket and SSE). */
  public int open() {
    return open.get();
  }

  /**
   * Tells every watch connection that the server is going away (SSE: a final {@code shutdown}
   * event; WebSocket: close 1001) and completes, with how many there were, when they have all
   * closed or {@code timeout} has passed.
   */
  public CompletionStage<Integer> shutdown(java.time.Duration timeout) {
    int told = open.get();
    system
        .actorSelection("/user/" + NAME_PREFIX + "*")
        .tell(new WatchConnection.ServerStopping(), ActorRef.noSender());
    CompletableFuture<Integer> done = new CompletableFuture<>();
    awaitClosed(System.nanoTime() + timeout.toNanos(), told, done);
    return done;
  }

  private void awaitClosed(long until, int told, CompletableFuture<Integer> done) {
    if (open.get() <= 0 || System.nanoTime() - until >= 0) {
      done.complete(told);
      return;
    }
    system
        .scheduler()
        .scheduleOnce(
            java.time.Duration.ofMillis(20),
            () -> awaitClosed(until, told, done),
            system.dispatcher());
  }

  private String nextName() {
    return NAME_PREFIX + names.incrementAndGet();
  }

  private void refused(HttpRequest http) {
    metrics.refused();
    long n = refusedSinceLog.incrementAndGet();
    long last = lastRefusalLog.get();
    long now = System.nanoTime();
    if (now - last >= 1_000_000_000L && lastRefusalLog.compareAndSet(last, now)) {
      refusedSinceLog.addAndGet(-n);
      log.warn(
          "watch connection from {} refused: {} open, the limit (cairn.watch.max-connections);"
              + " {} refused since the last such line",
          client(http),
          settings.maxConnections(),
          n);
    }
  }

  /** The client's address as "host:port", or "unknown" when the server does not know it. */
  static String client(HttpRequest http) {
    return http.getAttribute(AttributeKeys.remoteAddress)
        .map(a -> a.getAddress().map(i -> i.getHostAddress()).orElse("?") + ":" + a.getPort())
        .orElse("unknown");
  }

  private HttpResponse webSocket(HttpRequest http, String ns) {
    // One message for several watches that get the same events (opt-in: a protocol addition).
    Request params = new Request(http, ns, "", new byte[0]);
    boolean coalesce = params.flag("coalesce");
    // The replies to calls that finish together in one message, a JSON message per line (opt-in).
    boolean batch = params.flag("batch");
    Optional<WebSocketUpgrade> upgrade = http.getAttribute(AttributeKeys.webSocketUpgrade);
    if (upgrade.isEmpty()) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST,
          "/v1/watch is a WebSocket endpoint; use /v1/watch/{key} for server-sent events");
    }
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> out =
        Source.<Message>queue(settings.socketQueue()).preMaterialize(system);
    ActorRef conn =
        system.actorOf(
            WatchConnection.props(
                namespaces,
                ns,
                client(http),
                metrics,
                out.first(),
                new WebSocketEncoder(),
                settings,
                open,
                false,
                coalesce,
                batch,
                recipes == null ? null : recipes.apply(ns),
                calls),
            nextName());
    Sink<Message, NotUsed> in =
        Flow.<Message>create()
            .mapAsync(
                1,
                m -> {
                  if (m.isText() && m.asTextMessage().isStrict()) {
                    // The usual case, a message that came whole: no future to convert and hop
                    // through (Scala's converted stages run thenApply on another thread).
                    return CompletableFuture.completedFuture(
                        (Object) new WatchConnection.ClientText(m.asTextMessage().getStrictText()));
                  }
                  if (m.isText()) {
                    return m.asTextMessage()
                        .toStrict(10_000, materializer)
                        .thenApply(t -> (Object) new WatchConnection.ClientText(t.getStrictText()));
                  }
                  m.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), system);
                  return CompletableFuture.completedFuture(
                      (Object) new WatchConnection.ClientText("{\"binary\":{}}"));
                })
            .to(
                Sink.actorRefWithBackpressure(
                    conn,
                    new WatchConnection.Init(),
                    new WatchConnection.Ack(),
                    new WatchConnection.ClientClosed(),
                    t -> new WatchConnection.ClientClosed()));
    return upgrade.get().handleMessagesWith(in, out.second());
  }

  private CompletionStage<HttpResponse> sse(HttpRequest http, String ns, String rawKey) {
    Request r = new Request(http, ns, rawKey, new byte[0]);
    String key = Request.decode(rawKey);
    boolean prefix = r.flag("prefix");
    String rangeEnd = prefix ? KeyRange.prefixEnd(key) : null;
    if (key.isEmpty() && rangeEnd == null) {
      throw new ApiException(ErrorCode.EMPTY_KEY, "key must not be empty");
    }
    long requested = r.longParam("start_revision", 0);
    long start = requested;
    long skip = 0;
    Optional<String> lastId = r.header("Last-Event-ID");
    if (lastId.isPresent()) {
      // Overrides start_revision: the stream resumes after the last event the client saw.
      long[] id = lastEventId(lastId.get().trim());
      start = id[1] == 0 ? id[0] + 1 : id[0];
      skip = id[1];
    }
    if (start < 0) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "start_revision must not be negative");
    }
    // The last revision the client has seen (or part of): one after the head revision is a
    // client's mistake, answered 400 future_revision as a range read at such a revision is, not
    // a silent wait for the future.
    long seen = lastId.isPresent() && skip > 0 ? start : start - 1;
    if (seen <= 0) {
      return CompletableFuture.completedFuture(stream(http, ns, key, rangeEnd, start, skip));
    }
    long from = start;
    long skipped = skip;
    String what =
        lastId.isPresent() ? "Last-Event-ID " + lastId.get().trim() : "start_revision " + requested;
    return namespaces
        .ask(ns, new NamespaceLeader.Progress())
        .handle(
            (reply, failure) -> {
              if (reply instanceof dev.cairn.core.keyspace.Reply.ProgressReply p
                  && seen > p.revision()) {
                throw new ApiException(
                    ErrorCode.FUTURE_REVISION,
                    what + " is after the current revision " + p.revision());
              }
              return stream(http, ns, key, rangeEnd, from, skipped);
            });
  }

  private HttpResponse stream(
      HttpRequest http, String ns, String key, String rangeEnd, long start, long skip) {
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> out =
        Source.<ByteString>queue(settings.socketQueue()).preMaterialize(system);
    ActorRef conn =
        system.actorOf(
            WatchConnection.props(
                namespaces,
                ns,
                client(http),
                metrics,
                out.first(),
                new SseEncoder(start, skip),
                settings,
                open,
                true,
                false,
                false,
                null,
                null),
            nextName());
    conn.tell(new WatchConnection.StartWatch(key, rangeEnd, start), ActorRef.noSender());
    Source<ByteString, NotUsed> body =
        out.second()
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (d, e) -> conn.tell(new WatchConnection.ClientClosed(), ActorRef.noSender()));
                  return mat;
                });
    return HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), body))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"));
  }

  /**
   * Parses an event id the stream sent (see {@link SseEncoder}): {@code R} (revision R is complete)
   * as {R, 0}, or {@code R.i} (the first i events of revision R) as {R, i}.
   */
  static long[] lastEventId(String id) {
    int dot = id.indexOf('.');
    String rev = dot < 0 ? id : id.substring(0, dot);
    String pos = dot < 0 ? null : id.substring(dot + 1);
    try {
      if (!digits(rev) || (pos != null && !digits(pos))) {
        throw new NumberFormatException();
      }
      long r = Long.parseLong(rev);
      long i = pos == null ? 0 : Long.parseLong(pos);
      if (r == Long.MAX_VALUE || (pos != null && (r < 1 || i < 1))) {
        throw new NumberFormatException();
      }
      return new long[] {r, i};
    } catch (NumberFormatException e) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST,
          "Last-Event-ID must be an event id of the stream: <revision> or <revision>.<position>");
    }
  }

  private static boolean digits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
