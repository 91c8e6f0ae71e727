package dev.cairn.bench.load.http;

import dev.cairn.bench.NettyLoops;
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
import java.util.concurrent.atomic.AtomicReference;

/**
 * HTTP/1.1 over Netty's codec: one channel per connection on a small shared event loop group (epoll
 * when the native transport loads, NIO otherwise). Requests are full messages written in one flush;
 * responses are aggregated before the reply is called, on the channel's event loop.
 */
public final class NettyHttpTransport implements HttpTransport {

  private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  private final NettyLoops loops;
  private final Bootstrap bootstrap;
  private final String hostHeader;

  public NettyHttpTransport(URI base, int ioThreads) {
    String host = base.getHost();
    int port = base.getPort() > 0 ? base.getPort() : 80;
    this.hostHeader = host + ":" + port;
    this.loops = NettyLoops.create(ioThreads, "bench-netty");
    this.bootstrap =
        new Bootstrap()
            .group(loops.group())
            .channel(loops.channelType())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
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

  @Override
  public String name() {
    return loops.name();
  }

  @Override
  public HttpConnection open() {
    return new Connection();
  }

  @Override
  public void close() {
    loops.close();
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
      channel
          .writeAndFlush(request)
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
