package dev.cairn.bench.watch;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import dev.cairn.bench.http.LineStream;
import dev.cairn.bench.http.NettyLoops;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * etcd through its JSON gateway. Every watcher is one {@code POST <api>/watch} request whose body
 * is {@code {"create_request":{"key","range_end","start_revision"}}} (the prefix as a key range,
 * starting right after the marker's revision, so no change is missed however late the watch
 * registers); the gateway keeps the HTTP/1.1 response open and writes one JSON object per line,
 * {@code {"result":{"header":{...},"events":[{"kv":{"key","mod_revision","value",...}}]}}}. The
 * gateway cannot multiplex watches on one HTTP request, so W watchers are W connections ({@link
 * LineStream}s); they are spread over {@code --ws-clients} event loop threads and counted in {@code
 * --connections} groups. Puts are {@code POST <api>/kv/put}; keys and values are base64 in both
 * directions, and 64-bit numbers are JSON strings.
 */
final class EtcdWatch implements WatchPeer {

  /** Watch requests whose answer has not started yet, at most. */
  static final int OPENING_AT_ONCE = 256;

  private static final String JSON = "application/json";

  private final URI url;
  private final HttpTransport http;
  private final int watchers;
  private final int groups;
  private final int clients;
  private final Duration putTimeout;
  private final PrintStream log;
  private final List<Stream> streams = new ArrayList<>();
  private NettyLoops loops;
  private volatile boolean closing;
  private final String api;
  private String watched;

  /**
   * @param url the etcd client URL
   * @param api the gateway prefix
   * @param http the client for puts, to {@code url}
   * @param watchers watch streams in all
   * @param groups groups the watch streams are counted in
   * @param clients event loop threads the watch streams share
   */
  EtcdWatch(
      URI url,
      String api,
      HttpTransport http,
      int watchers,
      int groups,
      int clients,
      Duration putTimeout,
      PrintStream log) {
    this.url = url;
    this.api = api;
    this.http = http;
    this.watchers = watchers;
    this.groups = groups;
    this.clients = clients;
    this.putTimeout = putTimeout;
    this.log = log;
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public int connections() {
    return watchers; // one HTTP connection per watch stream
  }

  @Override
  public void describe(Map<String, Object> json) {
    json.put("etcd_api", api);
    json.put("stream_groups", groups);
    json.put("http_clients", clients);
    json.put(
        "note",
        "one HTTP/1.1 watch stream (POST " + api + "/watch) per watcher: connections = watchers");
  }

  @Override
  public long prepare(String runId, String watched, int totalPuts) throws Exception {
    this.watched = watched;
    HttpAnswer r = http.exchange(putCall("bench/watch-marker/" + runId, "start"), putTimeout);
    long revision = r.ok() ? JsonScan.number(r.text(), "\"revision\":", 0, -1) : -1;
    if (revision <= 0) {
      throw new IllegalStateException("etcd put of the marker: " + r.describe());
    }
    return revision;
  }

  private HttpCall putCall(String key, String value) {
    Base64.Encoder b64 = Base64.getEncoder();
    String body =
        "{\"key\":\""
            + b64.encodeToString(key.getBytes(StandardCharsets.UTF_8))
            + "\",\"value\":\""
            + b64.encodeToString(value.getBytes(StandardCharsets.UTF_8))
            + "\"}";
    return HttpCall.post(api + "/kv/put", body, JSON);
  }

  /** The watch request for every key starting with {@code prefix}, from {@code startRevision}. */
  static String createRequest(String prefix, long startRevision) {
    byte[] key = prefix.getBytes(StandardCharsets.UTF_8);
    Base64.Encoder b64 = Base64.getEncoder();
    return "{\"create_request\":{\"key\":\""
        + b64.encodeToString(key)
        + "\",\"range_end\":\""
        + b64.encodeToString(prefixEnd(key))
        + "\",\"start_revision\":\""
        + startRevision
        + "\"}}";
  }

  /** The end of the key range holding every key that starts with {@code prefix} (etcd's rule). */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xff) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return new byte[] {0}; // every key from the prefix on
  }

  @Override
  public List<EtcdReceiver> open(String watched, long r0, long warmupPuts)
      throws InterruptedException {
    loops = NettyLoops.create(clients, "etcd-watch");
    HttpCall watch = HttpCall.post(api + "/watch", createRequest(watched, r0 + 1), JSON);
    // Same split as Cairn's connections: the first (watchers % groups) groups get one more.
    List<EtcdReceiver> out = new ArrayList<>(groups);
    int base = 0;
    for (int g = 0; g < groups; g++) {
      int n = watchers / groups + (g < watchers % groups ? 1 : 0);
      out.add(new EtcdReceiver(base, n, r0, warmupPuts));
      base += n;
    }
    Semaphore opening = new Semaphore(OPENING_AT_ONCE);
    for (int g = 0; g < groups; g++) {
      EtcdReceiver group = out.get(g);
      for (int w = 0; w < group.count; w++) {
        if (!opening.tryAcquire(60, TimeUnit.SECONDS)) {
          group.error("no answer to " + OPENING_AT_ONCE + " watch requests within 60 s");
          return out;
        }
        Stream s = new Stream(group, w, opening);
        streams.add(s);
        s.stream = LineStream.open(loops, url, watch, s);
      }
    }
    return out;
  }

  @Override
  public void put(int i, long intended, String value, PutDone done) {
    http.request(putCall(watched + String.format("%08d", i), value), putTimeout)
        .whenComplete(
            (r, e) -> {
              long revision =
                  e == null && r.ok() ? JsonScan.number(r.text(), "\"revision\":", 0, -1) : -1;
              if (revision > 0) {
                done.done(revision, null);
              } else {
                done.done(-1, e != null ? e.toString() : r.describe());
              }
            });
  }

  @Override
  public void close() {
    closing = true;
    for (Stream s : streams) {
      if (s.stream != null) {
        s.stream.cancel();
      }
    }
    http.close();
    if (loops != null) {
      loops.close();
    }
  }

  // ------------------------------------------------------------------ parsing

  /** One watch request: its response lines go to its group. */
  private final class Stream implements LineStream.Lines {
    final EtcdReceiver group;
    final int id;
    final Semaphore opening;
    final AtomicBoolean answered = new AtomicBoolean();
    final AtomicBoolean ended = new AtomicBoolean();
    volatile LineStream stream;

    Stream(EtcdReceiver group, int id, Semaphore opening) {
      this.group = group;
      this.id = id;
      this.opening = opening;
    }

    /** The watch request was answered (or failed): another may be sent. */
    private void answered() {
      if (answered.compareAndSet(false, true)) {
        opening.release();
      }
    }

    @Override
    public void onStatus(int status) {
      answered();
      if (status != 200) {
        group.error("POST " + api + "/watch: HTTP " + status);
      }
    }

    @Override
    public void onLine(String line) {
      group.onLine(id, line, System.nanoTime());
    }

    /** The stream ended, by itself or because it failed. */
    @Override
    public void onEnd(Throwable t) {
      answered();
      if (closing || !ended.compareAndSet(false, true)) {
        return;
      }
      group.streamsEnded.incrementAndGet();
      group.closed = true;
      if (t != null) {
        group.error("watch stream: " + t);
      }
    }
  }
}
