package dev.cairn.bench.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The benchmarks' HTTP/1.1 client, on Netty's codec: one channel per connection on a small shared
 * event loop group (epoll when the native transport loads, NIO otherwise). Requests are full
 * messages written in one flush; responses are aggregated before the reply is called, on the
 * channel's event loop.
 *
 * <p>Two ways to use it: {@link #open} gives a logical connection of one's own (the load
 * generator's closed-loop clients, one request in flight each), and {@link #request} sends a call
 * on whichever pooled keep-alive connection is idle, opening one when none is, with a timeout
 * (puts, grants and probes, any number in flight).
 */
public final class HttpTransport implements AutoCloseable {

  private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  private final URI base;
  private final NettyLoops loops;
  private final Bootstrap bootstrap;
  private final String hostHeader;

  /** Idle keep-alive connections for {@link #request}; a request takes one or opens one. */
  private final ConcurrentLinkedQueue<HttpConnection> idle = new ConcurrentLinkedQueue<>();

  /** A transport to {@code base} (its scheme, host and port) on {@code ioThreads} event loops. */
  public HttpTransport(URI base, int ioThreads) {
    this.base = base;
    String host = base.getHost();
    int port = base.getPort() > 0 ? base.getPort() : 80;
    this.hostHeader = host + ":" + port;
    this.loops = NettyLoops.create(ioThreads, "bench-netty");
    this.bootstrap =
        loops
            .bootstrap(5_000)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .remoteAddress(host, port)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                        .addLast(new Exchange());
                  }
                });
  }

  /** The URI the transport's connections go to. */
  public URI base() {
    return base;
  }

  /** Name recorded in results: {@code netty-epoll} or {@code netty-nio}. */
  public String name() {
    return loops.name();
  }

  /** A logical connection of the caller's own; it connects on its first call. */
  public HttpConnection open() {
    return new Connection();
  }

  /**
   * Sends {@code call} on an idle pooled connection, or a new one; completes with the response, or
   * exceptionally with the failure or a {@link TimeoutException} after {@code timeout} (the
   * connection is then dropped, so that a late answer cannot be read as another call's).
   */
  public CompletableFuture<HttpAnswer> request(HttpCall call, Duration timeout) {
    HttpConnection pooled = idle.poll();
    HttpConnection conn = pooled != null ? pooled : open();
    CompletableFuture<HttpAnswer> answer = new CompletableFuture<>();
    // Exactly one of the reply and the timeout ends the call.
    AtomicBoolean ended = new AtomicBoolean();
    ScheduledFuture<?> timer =
        loops
            .group()
            .schedule(
                () -> {
                  if (ended.compareAndSet(false, true)) {
                    conn.close();
                    answer.completeExceptionally(
                        new TimeoutException("no answer within " + timeout));
                  }
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
    conn.send(
        call,
        (status, body, failure) -> {
          if (!ended.compareAndSet(false, true)) {
            return;
          }
          timer.cancel(false);
          if (failure == null) {
            idle.add(conn);
            answer.complete(new HttpAnswer(status, body));
          } else {
            conn.close();
            answer.completeExceptionally(failure);
          }
        });
    return answer;
  }

  /** {@link #request} and wait for it: for probes and checks outside the measured load. */
  public HttpAnswer exchange(HttpCall call, Duration timeout) throws Exception {
    try {
      return request(call, timeout).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Override
  public void close() {
    HttpConnection c;
    while ((c = idle.poll()) != null) {
      c.close();
    }
    loops.close();
  }

  /**
   * {@code call} as one Netty request to {@code hostHeader}: a body goes with its length and
   * content type, a call without one has neither.
   */
  static FullHttpRequest fullRequest(HttpCall call, String hostHeader) {
    ByteBuf content =
        call.body() == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(call.body());
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.valueOf(call.method()), call.path(), content);
    request.headers().set(HttpHeaderNames.HOST, hostHeader);
    if (call.body() != null) {
      request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, call.body().length);
      if (call.contentType() != null) {
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, call.contentType());
      }
    }
    return request;
  }

  /** The logical connection: the current channel's exchange, replaced after a failure. */
  private final class Connection implements HttpConnection {
    private volatile Exchange current;
    private volatile boolean closed;

    @Override
    public void send(HttpCall call, HttpReply reply) {
      if (closed) {
        reply.onReply(-1, null, new ClosedChannelException());
        return;
      }
      Exchange exchange = current;
      if (exchange != null && exchange.channel.isActive()) {
        exchange.send(call, reply);
        return;
      }
      ChannelFuture connecting = bootstrap.connect();
      connecting.addListener(
          (ChannelFutureListener)
              f -> {
                if (!f.isSuccess()) {
                  reply.onReply(-1, null, f.cause());
                  return;
                }
                Exchange fresh = f.channel().pipeline().get(Exchange.class);
                if (closed) {
                  f.channel().close();
                  reply.onReply(-1, null, new ClosedChannelException());
                  return;
                }
                current = fresh;
                fresh.send(call, reply);
              });
    }

    @Override
    public void abort() {
      Exchange exchange = current;
      current = null;
      if (exchange != null) {
        exchange.pending.set(null);
        exchange.channel.close();
      }
    }

    @Override
    public void close() {
      closed = true;
      abort();
    }
  }

  /** Per channel: the request in flight on it and the reply waiting for it. */
  private final class Exchange extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final AtomicReference<HttpReply> pending = new AtomicReference<>();
    private Channel channel;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    void send(HttpCall call, HttpReply reply) {
      if (!pending.compareAndSet(null, reply)) {
        reply.onReply(
            -1,
            null,
            new IllegalStateException("a request is already in flight on this connection"));
        return;
      }
      channel
          .writeAndFlush(fullRequest(call, hostHeader))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (!f.isSuccess()) {
                      fail(f.cause());
                      f.channel().close();
                    }
                  });
    }

    private void fail(Throwable cause) {
      HttpReply reply = pending.getAndSet(null);
      if (reply != null) {
        reply.onReply(-1, null, cause);
      }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      HttpReply reply = pending.getAndSet(null);
      if (reply == null) {
        // An answer nobody waits for (its request was aborted): the connection is out of step.
        ctx.close();
        return;
      }
      if (!HttpUtil.isKeepAlive(response)) {
        // Close before replying, so that the next request goes out on a fresh connection.
        ctx.close();
      }
      int status = response.status().code();
      byte[] body = ByteBufUtil.getBytes(response.content());
      reply.onReply(status, body, null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      fail(new ClosedChannelException());
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(cause);
      ctx.close();
    }
  }
}
