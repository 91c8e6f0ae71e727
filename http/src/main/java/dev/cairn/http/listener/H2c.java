package dev.cairn.http.listener;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.http2.FrameEvent;
import org.apache.pekko.http.impl.engine.http2.Http2$;
import org.apache.pekko.http.impl.engine.http2.Http2Blueprint$;
import org.apache.pekko.http.impl.engine.http2.Http2Ext;
import org.apache.pekko.http.impl.engine.server.UpgradeToOtherProtocolResponseHeader;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.http2.Http2SettingsHeader$;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;

/**
 * The protocol layer of one connection: HTTP/1.1, or HTTP/2 over cleartext (h2c) when the client
 * starts with the HTTP/2 connection preface (prior knowledge, {@code curl --http2-prior-knowledge})
 * or asks for it with {@code Upgrade: h2c} on an HTTP/1.1 request ({@code java.net.http} with
 * {@code HTTP_2} against {@code http://}). The same handler answers both.
 *
 * <p>Pekko HTTP's own HTTP/2 binding ({@code newServerAt(...).bind}) owns its socket; {@link
 * Listener} must own each accepted connection (the limit, the timeouts, draining), so this builds
 * per connection what that binding builds: its HTTP/2 server stack and its handling of the h2c
 * upgrade, behind a switch on the preface of our own ({@link PrefaceSwitch}, which costs HTTP/1.1
 * connections nothing). The HTTP/2 parts are Pekko HTTP's internal entry points (stable within a
 * minor version; the build pins Pekko HTTP's version).
 */
final class H2c {
  private final ActorSystem system;
  private final org.apache.pekko.http.scaladsl.settings.ServerSettings settings;
  private final LoggingAdapter log;
  private final Http2Ext ext;
  private final ExecutionContext ec;
  private final int streams;

  @SuppressWarnings("rawtypes")
  private final scala.Function1 http2;

  /**
   * @param http2 answers one HTTP/2 request (the requests of a connection run concurrently)
   */
  H2c(
      ActorSystem system,
      ServerSettings settings,
      LoggingAdapter log,
      Function<HttpRequest, CompletionStage<HttpResponse>> http2) {
    this.system = system;
    this.settings = (org.apache.pekko.http.scaladsl.settings.ServerSettings) settings;
    this.log = log;
    this.ext = Http2$.MODULE$.get(system);
    this.ec = system.dispatcher();
    this.streams = this.settings.http2Settings().maxConcurrentStreams();
    this.http2 =
        new scala.runtime.AbstractFunction1<Object, Future<Object>>() {
          @Override
          @SuppressWarnings({"unchecked", "rawtypes"})
          public Future<Object> apply(Object r) {
            return FutureConverters.asScala((CompletionStage) http2.apply((HttpRequest) r));
          }
        };
  }

  /**
   * The bytes-to-bytes flow of one connection: {@code http1} for HTTP/1.1 requests (in order), the
   * HTTP/2 handler for a connection that starts with the preface. {@code http1} must answer an
   * upgrade request with {@link #upgrade}'s response.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  Flow<ByteString, ByteString, NotUsed> layer(
      InetSocketAddress remote, Flow<HttpRequest, HttpResponse, NotUsed> http1, Runnable onHttp2) {
    BidiFlow layer1 =
        Http.get(system).serverLayer(settings, Optional.of(remote), log).atop(PLAINTEXT);
    Flow h1 = join(http1, layer1, Keep.left());
    BidiFlow switching = BidiFlow.fromGraph(new PrefaceSwitch(this::priorKnowledge, onHttp2));
    Flow whole = join(h1, switching, Keep.left());
    return whole.mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** The HTTP/2 stack of a connection that started with the preface: bytes in, bytes out. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Flow<ByteString, ByteString, NotUsed> priorKnowledge() {
    Flow f =
        join(
            Flow.fromGraph(Http2Blueprint$.MODULE$.handleWithStreamIdHeader(streams, http2, ec)),
            BidiFlow.fromGraph(
                Http2Blueprint$.MODULE$.serverStack(
                    settings,
                    log,
                    Http2Blueprint$.MODULE$.serverStack$default$3(),
                    false,
                    ext.telemetry(),
                    ext.http().dateHeaderRendering())),
            Keep.left());
    return f.mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** No TLS: bytes as they are. (Its inbound type is a subtype of what the server layer takes.) */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final BidiFlow<
          org.apache.pekko.stream.TLSProtocol.SslTlsOutbound,
          ByteString,
          ByteString,
          org.apache.pekko.stream.TLSProtocol.SslTlsInbound,
          NotUsed>
      PLAINTEXT = (BidiFlow) org.apache.pekko.stream.javadsl.TLSPlacebo.getInstance();

  /**
   * The 101 answer switching the connection to HTTP/2 when {@code r} asks for h2c with exactly one
   * valid {@code HTTP2-Settings} header (RFC 7540 §3.2); the request itself is then answered on
   * stream 1. Empty for any other request.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  Optional<HttpResponse> upgrade(HttpRequest r) {
    Optional<HttpHeader> up = r.getHeader("upgrade");
    if (up.isEmpty() || !isH2c(up.get().value())) {
      return Optional.empty();
    }
    Try settingsFromHeader = null;
    int found = 0;
    for (HttpHeader h : r.getHeaders()) {
      if (h.lowercaseName().equals("http2-settings")) {
        found++;
        settingsFromHeader = Http2SettingsHeader$.MODULE$.parse(h.value(), log);
      }
    }
    if (found != 1 || settingsFromHeader.isFailure()) {
      return Optional.empty(); // answered as HTTP/1.1, as the RFC asks
    }
    scala.collection.immutable.Seq<FrameEvent.Setting> initial =
        (scala.collection.immutable.Seq<FrameEvent.Setting>) settingsFromHeader.get();
    Object first =
        ((org.apache.pekko.http.scaladsl.model.HttpRequest) r)
            .addAttribute(Http2$.MODULE$.streamId(), (Object) Integer.valueOf(1));
    Flow serverLayer =
        join(
            Flow.create()
                .prepend(Source.single(first))
                .via(
                    Flow.fromGraph(
                        Http2Blueprint$.MODULE$.handleWithStreamIdHeader(streams, http2, ec))),
            BidiFlow.fromGraph(
                Http2Blueprint$.MODULE$.serverStack(
                    settings,
                    log,
                    initial,
                    true,
                    ext.telemetry(),
                    ext.http().dateHeaderRendering())),
            Keep.left());
    HttpResponse switching =
        HttpResponse.create()
            .withStatus(StatusCodes.SWITCHING_PROTOCOLS)
            .addHeader(HttpHeader.parse("Connection", "Upgrade"))
            .addHeader(HttpHeader.parse("Upgrade", "h2c"))
            .addHeader(new UpgradeToOtherProtocolResponseHeader(serverLayer.asScala()));
    return Optional.of(switching);
  }

  /** {@code flow} joined to {@code bidi}'s upper side (Pekko's own layers are typed in Scala). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Flow<Object, Object, Object> join(
      Flow flow, BidiFlow bidi, org.apache.pekko.japi.function.Function2 keep) {
    Flow<Object, Object, Object> f = flow;
    BidiFlow<Object, Object, Object, Object, Object> b = bidi;
    return f.joinMat(b, keep);
  }

  private static boolean isH2c(String upgrade) {
    for (String p : upgrade.split(",")) {
      if (p.trim().equalsIgnoreCase("h2c")) {
        return true;
      }
    }
    return false;
  }

  /** The HTTP/2 connection preface's first bytes: a connection starting so speaks HTTP/2. */
  static boolean startsWithPreface(ByteString first) {
    byte[] p = "PRI * HTTP/2.0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int n = Math.min(p.length, first.size());
    if (n < 3) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (first.apply(i) != p[i]) {
        return false;
      }
    }
    return true;
  }
}
