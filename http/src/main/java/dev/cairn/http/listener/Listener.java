package dev.cairn.http.listener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket that holds at most {@link ListenerSettings#maxConnections()} connections.
 *
 * <p>Pekko HTTP's own binding stops accepting at its {@code max-connections}: further clients wait
 * in the kernel's backlog with no answer, and time out. Here every connection is accepted; one
 * beyond the limit is refused promptly instead: its first request gets the answer {@code refusal}
 * gives (503 {@code too_many_connections}, or a probe's answer), with {@code Connection: close},
 * and a connection that sends nothing within {@link ListenerSettings#refusalTimeout()} is closed.
 * At most {@link ListenerSettings#maxRefusing()} are refused at a time; beyond that a new
 * connection is closed at once, unanswered. So the file descriptors in use stay below {@code
 * maxConnections + maxRefusing}.
 *
 * <p>A connection counts from accept to close, whatever it carries: requests, a server-sent-event
 * stream, or a WebSocket.
 *
 * <p>Thread-safe: connections are accepted on the stream of the binding and close on their own.
 */
public final class Listener {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);

  private final ActorSystem system;
  private final Materializer materializer;
  private final ServerSettings http;
  private final LoggingAdapter pekkoLog;
  private final ListenerSettings settings;
  private final Function<HttpRequest, CompletionStage<HttpResponse>> handler;
  private final Function<HttpRequest, CompletionStage<HttpResponse>> refusal;
  private final MeterRegistry metrics;

  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger refusing = new AtomicInteger();
  private final Counter accepted;
  private final Counter refused;
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();

  /** Refusing connections since the last time this listener was below its limit. */
  private final AtomicBoolean atLimit = new AtomicBoolean();

  private final AtomicLong refusedAtLimit = new AtomicLong();
  private final dev.cairn.http.ops.RateLimitedLog refusedLine =
      dev.cairn.http.ops.RateLimitedLog.everyTenSeconds();

  /** No TLS: bytes as they are. (Its inbound type is a subtype of what the server layer takes.) */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed>
      PLAINTEXT = (BidiFlow) TLSPlacebo.getInstance();

  private volatile boolean draining;
  private volatile boolean goingAway;
  private volatile Tcp.ServerBinding binding;

  private Listener(
      ActorSystem system,
      ListenerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      Function<HttpRequest, CompletionStage<HttpResponse>> refusal,
      MeterRegistry metrics) {
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.http = ServerSettings.create(system);
    this.pekkoLog = Logging.getLogger(system, Listener.class);
    this.settings = settings;
    this.handler = handler;
    this.refusal = refusal;
    this.metrics = metrics;
    String l = settings.name();
    Gauge.builder("cairn.http.connections.open", open, AtomicInteger::get)
        .tag("listener", l)
        .description("Connections open now (requests, event streams and WebSockets)")
        .register(metrics);
    Gauge.builder("cairn.http.connections.limit", settings, ListenerSettings::maxConnections)
        .tag("listener", l)
        .description("Connections this listener holds at most; more are refused")
        .register(metrics);
    accepted =
        Counter.builder("cairn.http.connections.accepted")
            .tag("listener", l)
            .description("Connections accepted under the limit")
            .register(metrics);
    refused =
        Counter.builder("cairn.http.connections.refused")
            .tag("listener", l)
            .description("Connections refused because the listener was at its limit")
            .register(metrics);
    for (String reason : List.of("idle_timeout", "header_timeout", "shutdown")) {
      closedCounter(reason);
    }
  }

  /**
   * Binds {@code host:port} (0: any free port) and starts accepting.
   *
   * @param handler answers the requests of admitted connections
   * @param refusal answers the one request a refused connection may send
   */
  public static CompletionStage<Listener> bind(
      ActorSystem system,
      String host,
      int port,
      ListenerSettings settings,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      Function<HttpRequest, CompletionStage<HttpResponse>> refusal,
      MeterRegistry metrics) {
    Listener l = new Listener(system, settings, handler, refusal, metrics);
    return Tcp.get(system)
        .bind(host, port, l.http.getBacklog(), List.of(), false, Optional.empty())
        .to(Sink.foreach(l::accept))
        .run(l.materializer)
        .thenApply(
            b -> {
              l.binding = b;
              return l;
            });
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  public ListenerSettings settings() {
    return settings;
  }

  /** Connections open now. */
  public int open() {
    return open.get();
  }

  // ------------------------------------------------------------------ accepting

  private void accept(Tcp.IncomingConnection in) {
    if (draining) {
      closeAtOnce(in);
      return;
    }
    if (open.incrementAndGet() <= settings.maxConnections()) {
      Connection c = new Connection(in.remoteAddress(), true);
      live.add(c);
      accepted.increment();
      run(in, c, null, null);
      return;
    }
    open.decrementAndGet();
    refused.increment();
    noteRefusal(in.remoteAddress());
    if (refusing.incrementAndGet() > settings.maxRefusing()) {
      refusing.decrementAndGet();
      closeAtOnce(in);
      return;
    }
    run(in, new Connection(in.remoteAddress(), false), refusing(), settings.refusalTimeout());
  }

  private void closeAtOnce(Tcp.IncomingConnection in) {
    in.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
  }

  private void run(
      Tcp.IncomingConnection in,
      Connection c,
      Flow<HttpRequest, HttpResponse, NotUsed> requests,
      Duration lifetime) {
    try {
      BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> guard =
          BidiFlow.fromGraph(
              new ConnectionStage(
                  c,
                  settings.idleTimeout(),
                  settings.headerTimeout(),
                  lifetime,
                  () -> goingAway,
                  this::closed));
      Flow<ByteString, ByteString, NotUsed> protocol;
      if (c.admitted
          && ((org.apache.pekko.http.scaladsl.settings.ServerSettings) http).enableHttp2()) {
        // HTTP/1.1 and h2c (prior knowledge or Upgrade) on the same port.
        H2c h2c = new H2c(system, http, pekkoLog, r -> http2Request(c, r));
        protocol = h2c.layer(in.remoteAddress(), admitted(c, h2c), () -> c.http2 = true);
      } else {
        protocol =
            (c.admitted ? admitted(c, null) : requests)
                .join(
                    Http.get(system)
                        .serverLayer(http, Optional.of(in.remoteAddress()), pekkoLog)
                        .atop(PLAINTEXT));
      }
      protocol.join(guard.join(in.flow())).run(materializer);
    } catch (RuntimeException e) {
      log.error("cannot serve the connection from {}", in.remoteAddress(), e);
      closed(c);
      closeAtOnce(in);
    }
  }

  /**
   * The HTTP/1.1 requests of an admitted connection: counted, so its stage can tell when it is
   * idle; a request asking for h2c is answered with the switch to HTTP/2.
   */
  private Flow<HttpRequest, HttpResponse, NotUsed> admitted(Connection c, H2c h2c) {
    return Flow.<HttpRequest>create()
        .map(
            r -> {
              c.requests = c.requests + 1; // this stage is the only writer
              return r;
            })
        .mapAsync(
            settings.pipelining(),
            r -> {
              Optional<HttpResponse> up = h2c == null ? Optional.empty() : h2c.upgrade(r);
              if (up.isPresent()) {
                c.http2 = true;
                return CompletableFuture.completedFuture(up.get());
              }
              return handler.apply(r);
            })
        .map(r -> responded(c, r));
  }

  /** One request of an HTTP/2 connection; its requests run concurrently. */
  private CompletionStage<HttpResponse> http2Request(Connection c, HttpRequest r) {
    c.http2 = true;
    c.http2Busy.incrementAndGet();
    CompletionStage<HttpResponse> answer;
    try {
      answer = handler.apply(r);
    } catch (RuntimeException e) {
      c.http2Busy.decrementAndGet();
      throw e;
    }
    return answer.handle(
        (resp, e) -> {
          if (e != null) {
            c.http2Busy.decrementAndGet();
            throw e instanceof java.util.concurrent.CompletionException ce
                ? ce
                : new java.util.concurrent.CompletionException(e);
          }
          if (resp.entity().isStrict()) {
            c.http2Busy.decrementAndGet();
            return resp;
          }
          // A stream (server-sent events): the connection is busy until its body ends.
          return whenBodyEnds(resp, () -> c.http2Busy.decrementAndGet());
        });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static HttpResponse whenBodyEnds(HttpResponse r, Runnable ended) {
    return r.withEntity(
        (ResponseEntity)
            ((org.apache.pekko.http.scaladsl.model.ResponseEntity) r.entity())
                .transformDataBytes(
                    (org.apache.pekko.stream.scaladsl.Flow)
                        Flow.<ByteString>create()
                            .watchTermination(
                                (m, done) -> {
                                  done.whenComplete((d, e) -> ended.run());
                                  return m;
                                })
                            .asScala()));
  }

  private HttpResponse responded(Connection c, HttpResponse r) {
    if (r.status().intValue() == 101) {
      if (!c.http2) {
        c.upgraded = true; // a WebSocket; an h2c upgrade goes on counting its HTTP/2 requests
      }
    } else if (!r.entity().isStrict()) {
      // A stream (server-sent events): the connection is busy until its body ends.
      c.streaming = true;
      r = whenBodyEnds(r, () -> c.streaming = false);
    }
    if (draining && !c.upgraded && !c.http2) {
      r = r.addHeader(org.apache.pekko.http.javadsl.model.headers.Connection.create("close"));
    }
    c.responses = c.responses + 1;
    return r;
  }

  /** A refused connection: one request answered, with Connection: close, then closed. */
  private Flow<HttpRequest, HttpResponse, NotUsed> refusing() {
    return Flow.<HttpRequest>create()
        .take(1)
        .mapAsync(1, refusal::apply)
        .map(
            r ->
                r.addHeader(
                    org.apache.pekko.http.javadsl.model.headers.Connection.create("close")));
  }

  private void closed(Connection c) {
    if (!c.admitted) {
      refusing.decrementAndGet();
      return;
    }
    if (!live.remove(c)) {
      return;
    }
    int now = open.decrementAndGet();
    if (c.closedBecause != null) {
      closedCounter(c.closedBecause).increment();
      log.debug("closed the connection from {}: {}", c.remote, c.closedBecause);
    }
    int limit = settings.maxConnections();
    // Some room before saying so, or a listener hovering at its limit would say it every close.
    if (now <= limit - Math.max(1, limit / 20) && atLimit.compareAndSet(true, false)) {
      log.info(
          "{} connections below the limit again: {} open; {} refused while at the limit of {}",
          settings.name(),
          now,
          refusedAtLimit.getAndSet(0),
          limit);
    }
  }

  private void noteRefusal(InetSocketAddress from) {
    refusedAtLimit.incrementAndGet();
    if (atLimit.compareAndSet(false, true)) {
      refusedLine.restart();
      log.warn(
          "{} connections at the limit of {}: new connections get 503 too_many_connections"
              + " (first refused: {})",
          settings.name(),
          settings.maxConnections(),
          from);
      return;
    }
    refusedLine.log(
        skipped ->
            log.warn(
                "{} connections still at the limit of {}: {} refused since the last line, latest"
                    + " from {}",
                settings.name(),
                settings.maxConnections(),
                skipped + 1,
                from));
  }

  private Counter closedCounter(String reason) {
    return closed.computeIfAbsent(
        reason,
        r ->
            Counter.builder("cairn.http.connections.closed")
                .tag("listener", settings.name())
                .tag("reason", r)
                .description("Connections the server closed, by reason")
                .register(metrics));
  }

  // ------------------------------------------------------------------ shutdown

  /** From now on, WebSocket close frames say 1001 "going away". */
  public void goingAway() {
    goingAway = true;
  }

  /** Stops accepting connections; open ones go on. */
  public CompletionStage<Done> unbind() {
    Tcp.ServerBinding b = binding;
    return b == null
        ? CompletableFuture.completedFuture(Done.getInstance())
        : b.unbind().thenApply(u -> Done.getInstance());
  }

  /**
   * Closes every connection once it is idle: at once for those between requests, after its response
   * (with {@code Connection: close}) for one serving a request, when its stream ends for one
   * sending a stream. Connections still open after {@code deadline} are closed anyway. Completes
   * with the number closed at the deadline.
   */
  public CompletionStage<Integer> drain(Duration deadline) {
    draining = true;
    CompletableFuture<Integer> done = new CompletableFuture<>();
    long until = System.nanoTime() + deadline.toNanos();
    sweep(until, done);
    return done;
  }

  private void sweep(long until, CompletableFuture<Integer> done) {
    boolean late = System.nanoTime() - until >= 0;
    int forced = 0;
    for (Connection c : live) {
      if (late || c.idle()) {
        if (!c.idle()) {
          forced++;
        }
        c.close("shutdown");
      }
    }
    if (live.isEmpty() || late) {
      done.complete(forced);
      return;
    }
    system
        .scheduler()
        .scheduleOnce(Duration.ofMillis(20), () -> sweep(until, done), system.dispatcher());
  }

  static long millis(Duration d) {
    return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
  }
}
