package dev.cairn.bench.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TextSocket} against a real WebSocket server on an ephemeral port. */
class TextSocketTest {

  private LocalServer server;
  private TextSocket.Group group;
  private URI uri;

  /**
   * Echoes each text frame back; "big N" is answered with one N-character message sent as three
   * fragments; "bye" closes the connection from the server's side.
   */
  private static final class Echo extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
      String text = frame.text();
      if (text.equals("bye")) {
        ctx.close();
      } else if (text.startsWith("big ")) {
        String big = "y".repeat(Integer.parseInt(text.substring(4)));
        int third = big.length() / 3;
        ctx.write(new TextWebSocketFrame(false, 0, big.substring(0, third)));
        ctx.write(new ContinuationWebSocketFrame(false, 0, big.substring(third, 2 * third)));
        ctx.writeAndFlush(new ContinuationWebSocketFrame(true, 0, big.substring(2 * third)));
      } else {
        ctx.writeAndFlush(new TextWebSocketFrame(text));
      }
    }
  }

  /** Answers a plain HTTP request (one not upgraded on /ws) with 404. */
  private static final class NotFound extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      DefaultFullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      ctx.writeAndFlush(response);
    }
  }

  /** Collects what a socket hands its handler. */
  private static final class Collected implements TextSocket.Handler {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    /** One permit per message received. */
    private final Semaphore arrived = new Semaphore(0);

    @Override
    public void onMessage(String text) {
      messages.add(text);
      arrived.release();
    }

    /** Waits until {@code n} messages have arrived, then returns all of them. */
    List<String> await(int n) throws InterruptedException {
      assertThat(arrived.tryAcquire(n, 10, TimeUnit.SECONDS))
          .as("%d messages within 10 s, got %d", n, messages.size())
          .isTrue();
      return messages;
    }

    @Override
    public void onClosed(int status, String reason) {
      closed.complete(status);
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    server =
        new LocalServer(
            () ->
                new ChannelHandler[] {
                  new WebSocketServerProtocolHandler("/ws"), new NotFound(), new Echo()
                });
    uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws");
    group = new TextSocket.Group(1);
  }

  @AfterEach
  void stop() {
    group.close();
    server.close();
  }

  @Test
  void framesComeBackWholeAndInOrder() throws Exception {
    Collected c = new Collected();
    TextSocket socket = TextSocket.open(group, uri, c).get(10, TimeUnit.SECONDS);
    for (int i = 0; i < 1000; i++) {
      socket.send("{\"n\":" + i + "}");
    }
    socket.send("big 300000");
    List<String> got = c.await(1001);
    for (int i = 0; i < 1000; i++) {
      assertThat(got.get(i)).isEqualTo("{\"n\":" + i + "}");
    }
    assertThat(got.get(1000)).hasSize(300_000).matches("y+");
    socket.close();
    assertThat(c.closed.get(10, TimeUnit.SECONDS)).isPositive();
  }

  @Test
  void theServerClosingIsReportedOnce() throws Exception {
    Collected c = new Collected();
    TextSocket socket = TextSocket.open(group, uri, c).get(10, TimeUnit.SECONDS);
    socket.send("bye");
    assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1006);
    assertThat(c.messages).isEmpty();
  }

  @Test
  void aRefusedHandshakeFailsTheOpen() {
    URI wrongPath = uri.resolve("/elsewhere");
    CompletableFuture<TextSocket> opening = TextSocket.open(group, wrongPath, new Collected());
    // Well before the handshaker's own 10 s timeout: the 404 itself fails the open.
    assertThatThrownBy(() -> opening.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
  }
}
