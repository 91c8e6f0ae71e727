package dev.cairn.bench.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link LineStream} against a real HTTP server on an ephemeral port that streams chunks. */
@Timeout(60)
class LineStreamTest {

  private LocalServer server;
  private NettyLoops loops;
  private URI base;

  /**
   * {@code /stream}: the request body as the first line, then lines cut across chunks (one ends
   * with CRLF, the last has no line end), then the end. {@code /open}: one line, then nothing.
   * Anything else: 404.
   */
  private static final class Streamer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (request.uri().equals("/stream") || request.uri().equals("/open")) {
        DefaultHttpResponse head =
            new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.write(head);
        String body = request.content().toString(StandardCharsets.UTF_8);
        if (request.uri().equals("/open")) {
          ctx.writeAndFlush(chunk(body + "\n"));
          return;
        }
        ctx.write(chunk(body + "\n{\"b\""));
        ctx.write(chunk(":2}\r\n{\"c\":3}\nté"));
        ctx.write(chunk("il"));
        ctx.writeAndFlush(new DefaultLastHttpContent());
      } else {
        DefaultFullHttpResponse response =
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(response);
      }
    }

    private static DefaultHttpContent chunk(String text) {
      return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }
  }

  /** Collects what a stream hands over. */
  private static final class Collected implements LineStream.Lines {
    final CompletableFuture<Integer> status = new CompletableFuture<>();
    final List<String> lines = new CopyOnWriteArrayList<>();
    final Semaphore arrived = new Semaphore(0);
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();

    @Override
    public void onStatus(int code) {
      status.complete(code);
    }

    @Override
    public void onLine(String line) {
      lines.add(line);
      arrived.release();
    }

    @Override
    public void onEnd(Throwable failure) {
      ended.complete(failure);
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    server = new LocalServer(() -> new ChannelHandler[] {new Streamer()});
    base = URI.create("http://127.0.0.1:" + server.port());
    loops = NettyLoops.create(1, "test-lines");
  }

  @AfterEach
  void stop() {
    loops.close();
    server.close();
  }

  @Test
  void linesCutAcrossChunksComeWholeAndTheEndIsClean() throws Exception {
    Collected c = new Collected();
    LineStream.open(loops, base, HttpCall.post("/stream", "{\"a\":1}", "application/json"), c);
    assertThat(c.status.get(10, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(c.ended.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(c.lines).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "téil");
  }

  @Test
  void aRefusedRequestEndsWithItsStatus() throws Exception {
    Collected c = new Collected();
    LineStream.open(loops, base, HttpCall.post("/nothing", "{}", "application/json"), c);
    assertThat(c.status.get(10, TimeUnit.SECONDS)).isEqualTo(404);
    assertThat(c.ended.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(c.lines).isEmpty();
  }

  @Test
  void cancellingAnOpenStreamEndsItWithAFailure() throws Exception {
    Collected c = new Collected();
    LineStream stream =
        LineStream.open(loops, base, HttpCall.post("/open", "first", "text/plain"), c);
    assertThat(c.arrived.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    assertThat(c.ended).isNotDone();
    stream.cancel();
    assertThat(c.ended.get(10, TimeUnit.SECONDS)).isNotNull();
    assertThat(c.lines).containsExactly("first");
  }
}
