package dev.cairn.bench.lock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.bench.cli.Cli;
import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpConnection;
import dev.cairn.bench.http.HttpTransport;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cairn's {@code /v1/locks/{name}} or etcd's v3lock service through its JSON gateway, over the
 * bench's Netty HTTP client: each contender has a keep-alive connection of its own (an acquisition
 * blocks on it) and a lease of its own, granted at open and renewed by one scheduler thread at a
 * third of its TTL over pooled connections.
 *
 * <ul>
 *   <li>Cairn: {@code POST /v1/leases {"ttl"}}; acquire {@code POST /v1/locks/{name} {"lease"}} →
 *       {@code fencing_token}; release {@code DELETE /v1/locks/{name}?token=T}.
 *   <li>etcd: {@code POST /v3/lease/grant {"TTL"}}; acquire {@code POST /v3/lock/lock {"name",
 *       "lease"}} → {@code key}; release {@code POST /v3/lock/unlock {"key"}}.
 * </ul>
 *
 * <p>Cairn's other recipes, with {@link Recipe}: a semaphore ({@code POST /v1/semaphores/{name}
 * {"permits", "lease"}} → {@code token}, {@code DELETE …?token=T}); a queue (push {@code POST
 * /v1/queues/{name} {"value"}}, then take {@code POST …/take {"lease"}} → {@code id}, {@code
 * token}: the turn's acquire; ack {@code DELETE …/claims/{id}?token=T}: its release).
 */
final class HttpLockPeer implements LockPeer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private final boolean etcd;
  private final String api;
  private final String name;
  private final int ttl;
  private final Recipe recipe;
  private final int permits;
  private final HttpTransport transport;
  private final ScheduledExecutorService keepalive = Cli.daemonScheduler("lease-keepalive");
  private final Map<Integer, String> leases = new ConcurrentHashMap<>();

  /**
   * @param api etcd's gateway prefix ({@code /v3}); ignored for Cairn
   */
  HttpLockPeer(boolean etcd, URI url, String api, String name, int ttl) {
    this(etcd, url, api, name, ttl, Recipe.LOCK, 1);
  }

  /** Cairn's {@code recipe} ({@code permits}: a semaphore's); etcd has only {@link Recipe#LOCK}. */
  HttpLockPeer(
      boolean etcd, URI url, String api, String name, int ttl, Recipe recipe, int permits) {
    if (etcd && recipe != Recipe.LOCK) {
      throw new IllegalArgumentException("etcd has no " + recipe.name().toLowerCase() + " here");
    }
    this.recipe = recipe;
    this.permits = permits;
    this.etcd = etcd;
    this.api = api;
    this.name = name;
    this.ttl = ttl;
    this.transport = new HttpTransport(url, 1);
    keepalive.scheduleWithFixedDelay(this::renew, ttl * 333L, ttl * 333L, TimeUnit.MILLISECONDS);
  }

  @Override
  public String driver() {
    return transport.name()
        + (etcd
            ? ", etcd " + api + "/lock"
            : switch (recipe) {
              case LOCK -> ", /v1/locks";
              case SEMAPHORE -> ", /v1/semaphores, " + permits + " permits";
              case QUEUE -> ", /v1/queues push, take, ack";
            });
  }

  @Override
  public Contender open(int index) throws Exception {
    HttpAnswer g =
        transport.exchange(
            etcd
                ? HttpCall.post(api + "/lease/grant", "{\"TTL\":" + ttl + "}", JSON_TYPE)
                : HttpCall.post("/v1/leases", "{\"ttl\":" + ttl + "}", JSON_TYPE),
            CALL_TIMEOUT);
    String lease = field(g, etcd ? "ID" : "id");
    leases.put(index, lease);
    HttpConnection conn = transport.open();
    if (etcd) {
      return new EtcdContender(conn, lease);
    }
    return switch (recipe) {
      case LOCK -> new CairnContender(conn, lease);
      case SEMAPHORE -> new SemaphoreContender(conn, lease);
      case QUEUE -> new QueueContender(conn, lease, index);
    };
  }

  private void renew() {
    for (String lease : leases.values()) {
      transport.request(
          etcd
              ? HttpCall.post(api + "/lease/keepalive", "{\"ID\":" + lease + "}", JSON_TYPE)
              : HttpCall.post("/v1/leases/" + lease + "/keepalive", "", JSON_TYPE),
          CALL_TIMEOUT);
    }
  }

  @Override
  public void close() {
    keepalive.shutdownNow();
    transport.close();
  }

  /** Sends {@code call} on {@code conn} and waits for a 2xx answer. */
  private static HttpAnswer call(HttpConnection conn, HttpCall call) throws Exception {
    CompletableFuture<HttpAnswer> f = new CompletableFuture<>();
    conn.send(
        call,
        (status, body, failure) -> {
          if (failure != null) {
            f.completeExceptionally(failure);
          } else {
            f.complete(new HttpAnswer(status, body));
          }
        });
    HttpAnswer a;
    try {
      a = f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      conn.abort();
      throw e;
    }
    if (a.status() / 100 != 2) { // a queue's push is 201
      throw new IOException(call.method() + " " + call.path() + ": " + a.describe());
    }
    return a;
  }

  private static String field(HttpAnswer a, String field) throws IOException {
    if (!a.ok()) {
      throw new IOException(a.describe());
    }
    JsonNode v = JSON.readTree(a.body()).path(field);
    if (v.isMissingNode()) {
      throw new IOException("no " + field + " in " + a.text());
    }
    return v.asText();
  }

  private final class CairnContender implements Contender {
    private final HttpConnection conn;
    private final HttpCall acquire;
    private String token;

    CairnContender(HttpConnection conn, String lease) {
      this.conn = conn;
      this.acquire = HttpCall.post("/v1/locks/" + name, "{\"lease\":" + lease + "}", JSON_TYPE);
    }

    @Override
    public void acquire() throws Exception {
      token = field(call(conn, acquire), "fencing_token");
    }

    @Override
    public void release() throws Exception {
      call(conn, new HttpCall("DELETE", "/v1/locks/" + name + "?token=" + token, null, null));
    }

    @Override
    public void close() {
      conn.close();
    }
  }

  private final class SemaphoreContender implements Contender {
    private final HttpConnection conn;
    private final HttpCall acquire;
    private String token;

    SemaphoreContender(HttpConnection conn, String lease) {
      this.conn = conn;
      this.acquire =
          HttpCall.post(
              "/v1/semaphores/" + name,
              "{\"permits\":" + permits + ",\"lease\":" + lease + "}",
              JSON_TYPE);
    }

    @Override
    public void acquire() throws Exception {
      token = field(call(conn, acquire), "token");
    }

    @Override
    public void release() throws Exception {
      call(conn, new HttpCall("DELETE", "/v1/semaphores/" + name + "?token=" + token, null, null));
    }

    @Override
    public void close() {
      conn.close();
    }
  }

  /** A turn pushes an item and takes one (the acquire), then acks it (the release). */
  private final class QueueContender implements Contender {
    private final HttpConnection conn;
    private final HttpCall push;
    private final HttpCall take;
    private String ack;

    QueueContender(HttpConnection conn, String lease, int index) {
      this.conn = conn;
      this.push = HttpCall.post("/v1/queues/" + name, "{\"value\":\"" + index + "\"}", JSON_TYPE);
      this.take =
          HttpCall.post("/v1/queues/" + name + "/take", "{\"lease\":" + lease + "}", JSON_TYPE);
    }

    @Override
    public void acquire() throws Exception {
      call(conn, push);
      HttpAnswer t = call(conn, take);
      ack = "/v1/queues/" + name + "/claims/" + field(t, "id") + "?token=" + field(t, "token");
    }

    @Override
    public void release() throws Exception {
      call(conn, new HttpCall("DELETE", ack, null, null));
    }

    @Override
    public void close() {
      conn.close();
    }
  }

  private final class EtcdContender implements Contender {
    private final HttpConnection conn;
    private final HttpCall acquire;
    private String key;

    EtcdContender(HttpConnection conn, String lease) {
      this.conn = conn;
      String b64 = Base64.getEncoder().encodeToString(name.getBytes(StandardCharsets.UTF_8));
      this.acquire =
          HttpCall.post(
              api + "/lock/lock", "{\"name\":\"" + b64 + "\",\"lease\":" + lease + "}", JSON_TYPE);
    }

    @Override
    public void acquire() throws Exception {
      key = field(call(conn, acquire), "key");
    }

    @Override
    public void release() throws Exception {
      call(conn, HttpCall.post(api + "/lock/unlock", "{\"key\":\"" + key + "\"}", JSON_TYPE));
    }

    @Override
    public void close() {
      conn.close();
    }
  }
}
