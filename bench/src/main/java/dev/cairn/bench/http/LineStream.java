package dev.cairn.bench.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 request whose response is a stream of lines (etcd's watch streams), on Netty: its
 * own connection, the response read as it arrives and handed to {@link Lines} a whole line at a
 * time on the connection's event loop thread, with no aggregation of the body.
 */
public final class LineStream {

  /** What the stream delivers, in this order: a status, lines, one end. */
  public interface Lines {
    /** The response's status. */
    void onStatus(int status);

    /** One line, without its line end. */
    void onLine(String line);

    /** The end: the response ended ({@code failure} null) or the connection failed. */
    void onEnd(Throwable failure);
  }

  /** Lines longer than this are a protocol error. */
  private static final int MAX_LINE = 64 * 1024 * 1024;

  private final Channel channel;

  private LineStream(Channel channel) {
    this.channel = channel;
  }

  /** Sends {@code call} to the server at {@code base} on a new connection of {@code loops}. */
  public static LineStream open(NettyLoops loops, URI base, HttpCall call, Lines lines) {
    String host = base.getHost();
    int port = base.getPort() > 0 ? base.getPort() : 80;
    Reader reader = new Reader(lines);
    Channel channel =
        loops
            .bootstrap(10_000)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec()).addLast(reader);
                  }
                })
            .connect(host, port)
            .addListener(
                (ChannelFutureListener)
                    f -> {
                      if (!f.isSuccess()) {
                        reader.end(f.cause());
                        return;
                      }
                      f.channel().writeAndFlush(HttpTransport.fullRequest(call, host + ":" + port));
                    })
            .channel();
    return new LineStream(channel);
  }

  /** Closes the connection; the stream then ends with a failure. */
  public void cancel() {
    channel.close();
  }

  /** Splits the body into lines at each {@code \n} (a {@code \r} before it is dropped). */
  private static final class Reader extends SimpleChannelInboundHandler<HttpObject> {
    private final Lines lines;
    private final ByteBuf partial = Unpooled.buffer();
    private boolean ended;

    Reader(Lines lines) {
      this.lines = lines;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (ended) {
        return;
      }
      if (msg instanceof HttpResponse response) {
        lines.onStatus(response.status().code());
      }
      if (msg instanceof HttpContent content) {
        ByteBuf in = content.content();
        int nl;
        while ((nl = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n')) >= 0) {
          partial.writeBytes(in, nl - in.readerIndex());
          in.skipBytes(1);
          line();
        }
        partial.writeBytes(in);
        if (partial.readableBytes() > MAX_LINE) {
          end(new IllegalStateException("a line of more than " + MAX_LINE + " bytes"));
          ctx.close();
          return;
        }
        if (msg instanceof LastHttpContent) {
          if (partial.isReadable()) {
            line();
          }
          end(null);
          ctx.close();
        }
      }
    }

    private void line() {
      int n = partial.readableBytes();
      if (n > 0 && partial.getByte(partial.writerIndex() - 1) == '\r') {
        n--;
      }
      lines.onLine(partial.toString(partial.readerIndex(), n, StandardCharsets.UTF_8));
      partial.clear();
    }

    void end(Throwable failure) {
      if (!ended) {
        ended = true;
        partial.release();
        lines.onEnd(failure);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      end(new ClosedChannelException());
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      end(cause);
      ctx.close();
    }
  }
}
