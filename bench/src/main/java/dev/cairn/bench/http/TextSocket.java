package dev.cairn.bench.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * A WebSocket client on Netty speaking one JSON object per text frame, for the benchmark's own
 * cost: all connections of a {@link Group} share its event loop threads, and each frame is decoded
 * and handed to the {@link Handler} on the thread that read it, with no hand-off. (The JDK's client
 * runs each connection's callbacks on a pool of its own and spent much of a core on thread wake-ups
 * at a few thousand frames a second.)
 */
public final class TextSocket {

  /** Receives whole text frames, one at a time, on the connection's event loop thread. */
  public interface Handler {
    void onMessage(String text);

    default void onClosed(int status, String reason) {}

    default void onError(Throwable t) {}
  }

  /** Frames larger than this are a protocol error (the server's largest are far smaller). */
  private static final int MAX_FRAME = 64 * 1024 * 1024;

  /** Event loop threads shared by the sockets opened through it. */
  public static final class Group implements AutoCloseable {
    final NettyLoops loops;

    public Group(int threads) {
      this.loops = NettyLoops.create(threads, "bench-ws");
    }

    @Override
    public void close() {
      loops.close();
    }
  }

  private final Channel channel;

  private TextSocket(Channel channel) {
    this.channel = channel;
  }

  /** The WebSocket URI of {@code path} (with its query, if any) on the server at {@code base}. */
  public static URI uri(URI base, String path) {
    return URI.create(base.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + path);
  }

  /** Opens {@code uri} (ws://...); completes once the handshake is done. */
  public static CompletableFuture<TextSocket> open(Group group, URI uri, Handler handler) {
    CompletableFuture<TextSocket> opened = new CompletableFuture<>();
    int port = uri.getPort() > 0 ? uri.getPort() : 80;
    group
        .loops
        .bootstrap(10_000)
        .handler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new HttpClientCodec())
                    .addLast(new HttpObjectAggregator(64 * 1024))
                    .addLast(
                        new WebSocketClientProtocolHandler(
                            WebSocketClientHandshakerFactory.newHandshaker(
                                uri,
                                WebSocketVersion.V13,
                                null,
                                false,
                                new DefaultHttpHeaders(),
                                MAX_FRAME)))
                    .addLast(new WebSocketFrameAggregator(MAX_FRAME))
                    .addLast(new Frames(handler, opened));
              }
            })
        .connect(uri.getHost(), port)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                opened.completeExceptionally(f.cause());
              }
            });
    return opened;
  }

  /** Queues {@code text} as one frame; frames go out in the order of the calls. */
  public void send(String text) {
    channel.writeAndFlush(new TextWebSocketFrame(text));
  }

  /** Starts a normal close. */
  public void close() {
    if (channel.isActive()) {
      channel.writeAndFlush(new CloseWebSocketFrame(1000, "done"));
    }
  }

  /** Drops the connection without a close handshake. */
  public void abort() {
    channel.close();
  }

  /** Text frames to the handler; the end of the connection to its close callbacks. */
  private static final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final Handler handler;
    private final CompletableFuture<TextSocket> opened;
    private boolean closedSeen;

    Frames(Handler handler, CompletableFuture<TextSocket> opened) {
      this.handler = handler;
      this.opened = opened;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        opened.complete(new TextSocket(ctx.channel()));
      } else if (evt
          == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        opened.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (frame instanceof TextWebSocketFrame text) {
        handler.onMessage(text.text());
      } else if (frame instanceof CloseWebSocketFrame close) {
        closed(close.statusCode(), close.reasonText());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      opened.completeExceptionally(new IllegalStateException("connection closed"));
      closed(1006, "connection closed");
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      opened.completeExceptionally(cause);
      handler.onError(cause);
      ctx.close();
    }

    private void closed(int status, String reason) {
      if (!closedSeen) {
        closedSeen = true;
        handler.onClosed(status, reason);
      }
    }
  }
}
