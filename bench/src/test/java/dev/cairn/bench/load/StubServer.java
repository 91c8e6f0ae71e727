package dev.cairn.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory server speaking the two HTTP contracts the generator drives: Cairn's {@code
 * /v1/kv/{key}} and etcd's JSON gateway ({@code /v3/kv/put}, {@code /v3/kv/range}). It can be told
 * to fail every n-th request with a 500, to answer late, or to close after each response. Runnable
 * on its own ({@link #main}) so a generator in another JVM can be measured against it.
 */
public final class StubServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, byte[]> store = new ConcurrentHashMap<>();
  private final AtomicLong revision = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong serializableReads = new AtomicLong();
  private final java.util.Set<String> namespaces =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final EventLoopGroup group;
  private final Channel server;
  private volatile int failEvery;
  private volatile long delayMillis;
  private volatile boolean closeAfterResponse;

  public StubServer(int port, int threads) throws InterruptedException {
    group = new NioEventLoopGroup(threads, new DefaultThreadFactory("stub-server", true));
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new HttpServerCodec(),
                            new HttpObjectAggregator(1 << 20),
                            new Handler());
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", port))
            .sync()
            .channel();
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7070;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    StubServer stub = new StubServer(port, threads);
    System.err.println("stub server on 127.0.0.1:" + stub.port());
    Thread.currentThread().join();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Every n-th request is answered with a 500 (0 = never). */
  public StubServer failEvery(int n) {
    failEvery = n;
    return this;
  }

  /** Answers wait this long. */
  public StubServer delay(long millis) {
    delayMillis = millis;
    return this;
  }

  /** Sends {@code Connection: close} and closes after every response. */
  public StubServer closeAfterResponse(boolean close) {
    closeAfterResponse = close;
    return this;
  }

  /** Reads that asked for {@code consistency=serializable}. */
  public long serializableReads() {
    return serializableReads.get();
  }

  /** Namespaces created with {@code PUT /v1/namespaces/{ns}}. */
  public java.util.Set<String> namespaces() {
    return java.util.Set.copyOf(namespaces);
  }

  /** Keys stored, each as {@code namespace/key} (the default namespace's with an empty one). */
  public java.util.Set<String> keys() {
    return java.util.Set.copyOf(store.keySet());
  }

  public long requests() {
    return requests.get();
  }

  public int size() {
    return store.size();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private FullHttpResponse answer(FullHttpRequest request) throws Exception {
    long n = requests.incrementAndGet();
    int fail = failEvery;
    if (fail > 0 && n % fail == 0) {
      return json(
          HttpResponseStatus.INTERNAL_SERVER_ERROR,
          "{\"title\":\"injected failure\"}",
          "application/problem+json");
    }
    String uri = request.uri();
    HttpMethod method = request.method();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    if (query >= 0 && uri.substring(query).contains("consistency=serializable")) {
      serializableReads.incrementAndGet();
    }
    if (path.startsWith("/v1/namespaces/") && method.equals(HttpMethod.PUT)) {
      // as Cairn: 201 when the namespace is new, 200 when it existed
      boolean created = namespaces.add(path.substring("/v1/namespaces/".length()));
      return json(
          created ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, "{}", "application/json");
    }
    String kvPath = path;
    String namespace = "";
    if (path.startsWith("/v1/ns/") && path.indexOf("/kv/") > 0) {
      namespace = path.substring("/v1/ns/".length(), path.indexOf("/kv/"));
      kvPath = "/v1/kv/" + path.substring(path.indexOf("/kv/") + "/kv/".length());
    }
    if (kvPath.startsWith("/v1/kv/")) {
      String key = namespace + "/" + kvPath.substring("/v1/kv/".length());
      if (method.equals(HttpMethod.PUT)) {
        store.put(key, ByteBufUtil.getBytes(request.content()));
        return json(
            HttpResponseStatus.OK,
            "{\"revision\":" + revision.incrementAndGet() + "}",
            "application/json");
      }
      if (method.equals(HttpMethod.GET)) {
        byte[] value = store.get(key);
        if (value == null) {
          return json(
              HttpResponseStatus.NOT_FOUND,
              "{\"title\":\"key not found\",\"status\":404}",
              "application/problem+json");
        }
        ObjectNode body = JSON.createObjectNode().put("revision", revision.get());
        ObjectNode kv = body.putObject("kv");
        kv.put("key", key)
            .put("value", new String(value, StandardCharsets.UTF_8))
            .put("encoding", "utf-8")
            .put("create_revision", 1)
            .put("mod_revision", 1)
            .put("version", 1)
            .put("lease", 0);
        return json(HttpResponseStatus.OK, body.toString(), "application/json");
      }
    } else if (method.equals(HttpMethod.POST)
        && (uri.equals("/v3/kv/put") || uri.equals("/v3/kv/range"))) {
      JsonNode in = JSON.readTree(ByteBufUtil.getBytes(request.content()));
      String key =
          new String(Base64.getDecoder().decode(in.path("key").asText()), StandardCharsets.UTF_8);
      ObjectNode out = JSON.createObjectNode();
      if (uri.endsWith("/put")) {
        store.put(key, Base64.getDecoder().decode(in.path("value").asText()));
        out.putObject("header").put("revision", Long.toString(revision.incrementAndGet()));
      } else {
        out.putObject("header").put("revision", Long.toString(revision.get()));
        byte[] value = store.get(key);
        if (value != null) {
          out.putArray("kvs")
              .addObject()
              .put("key", in.path("key").asText())
              .put("value", Base64.getEncoder().encodeToString(value));
          out.put("count", "1");
        }
      }
      return json(HttpResponseStatus.OK, out.toString(), "application/json");
    }
    return json(
        HttpResponseStatus.NOT_FOUND, "{\"title\":\"no route\"}", "application/problem+json");
  }

  private static FullHttpResponse json(HttpResponseStatus status, String body, String contentType) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpUtil.setContentLength(response, response.content().readableBytes());
    return response;
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request)
        throws Exception {
      FullHttpResponse response = answer(request);
      boolean close = closeAfterResponse || !HttpUtil.isKeepAlive(request);
      if (close) {
        HttpUtil.setKeepAlive(response, false);
      }
      long delay = delayMillis;
      Runnable send =
          () -> {
            var written = ctx.writeAndFlush(response);
            if (close) {
              written.addListener(ChannelFutureListener.CLOSE);
            }
          };
      if (delay > 0) {
        ctx.executor().schedule(send, delay, TimeUnit.MILLISECONDS);
      } else {
        send.run();
      }
    }
  }
}
