package dev.cairn.bench.watch;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.http.JsonScan;
import dev.cairn.bench.http.TextSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cairn: the watches on WebSocket connections to {@code /v1/watch} (all on one event loop thread,
 * {@link CairnReceiver} per connection), puts with {@code PUT /v1/kv/{key}} on pooled keep-alive
 * connections (on another).
 */
final class CairnWatch implements WatchPeer {
  private final URI url;
  private final int watchers;
  private final int connections;
  private final boolean coalesce;
  private final Duration putTimeout;
  private final HttpTransport http;
  private final TextSocket.Group wsGroup = new TextSocket.Group(1);
  private final List<TextSocket> sockets = new ArrayList<>();
  private String watched;

  /**
   * @param coalesce whether the connections ask for one message per revision for all their watches
   */
  CairnWatch(URI url, int watchers, int connections, boolean coalesce, Duration putTimeout) {
    this.url = url;
    this.watchers = watchers;
    this.connections = connections;
    this.coalesce = coalesce;
    this.putTimeout = putTimeout;
    this.http = new HttpTransport(url, 1);
  }

  @Override
  public String name() {
    return "cairn";
  }

  @Override
  public int connections() {
    return connections;
  }

  @Override
  public long prepare(String runId, String watched, int totalPuts) throws Exception {
    this.watched = watched;
    String marker = "bench/watch-marker/" + runId;
    HttpAnswer r =
        http.exchange(
            HttpCall.put("/v1/kv/" + marker, "start".getBytes(StandardCharsets.UTF_8), null),
            putTimeout);
    if (!r.ok()) {
      throw new IllegalStateException("PUT " + marker + ": " + r.describe());
    }
    return JsonScan.longAfter(r.text(), "\"revision\":", 0);
  }

  @Override
  public List<CairnReceiver> open(String watched, long r0, long warmupPuts) throws Exception {
    URI wsUri = TextSocket.uri(url, "/v1/watch" + (coalesce ? "?coalesce=true" : ""));
    List<CairnReceiver> receivers = new ArrayList<>(connections);
    List<CompletableFuture<TextSocket>> opening = new ArrayList<>();
    int base = 0;
    for (int c = 0; c < connections; c++) {
      int n = watchers / connections + (c < watchers % connections ? 1 : 0);
      CairnReceiver rc = new CairnReceiver(base, n, r0, warmupPuts);
      receivers.add(rc);
      opening.add(TextSocket.open(wsGroup, wsUri, rc));
      base += n;
    }
    for (CompletableFuture<TextSocket> f : opening) {
      sockets.add(f.get(60, TimeUnit.SECONDS));
    }
    for (int c = 0; c < connections; c++) {
      for (int w = 0; w < receivers.get(c).count; w++) {
        sockets
            .get(c)
            .send(
                "{\"create\":{\"key\":\""
                    + watched
                    + "\",\"prefix\":true,\"start_revision\":"
                    + (r0 + 1)
                    + ",\"watch_id\":"
                    + w
                    + "}}");
      }
    }
    return receivers;
  }

  @Override
  public void put(int i, long intended, String value, PutDone done) {
    http.request(
            HttpCall.put(
                "/v1/kv/" + watched + String.format("%08d", i),
                value.getBytes(StandardCharsets.UTF_8),
                null),
            putTimeout)
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                done.done(-1, failure.toString());
              } else if (r.ok()) {
                done.done(JsonScan.longAfter(r.text(), "\"revision\":", 0), null);
              } else {
                done.done(-1, r.describe());
              }
            });
  }

  @Override
  public void abort() {
    sockets.forEach(TextSocket::abort);
    sockets.clear();
  }

  @Override
  public void close() {
    sockets.forEach(TextSocket::close);
    sockets.clear();
    http.close();
    wsGroup.close();
  }
}
