package dev.cairn.bench.load.http;

import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.async.MinimalHttpAsyncClient;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http2.config.H2Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * HTTP/1.1 over Apache HttpClient 5's minimal async client: each logical connection leases its own
 * pooled endpoint and keeps it until the endpoint fails, so every client has its own TCP connection
 * and nothing is pipelined.
 */
public final class ApacheHttpTransport implements HttpTransport {

  private final MinimalHttpAsyncClient client;
  private final HttpHost host;

  public ApacheHttpTransport(URI base, int maxConnections, int ioThreads) {
    this.host = new HttpHost(base.getScheme(), base.getHost(), base.getPort());
    PoolingAsyncClientConnectionManager pool =
        PoolingAsyncClientConnectionManagerBuilder.create()
            .setMaxConnTotal(maxConnections + 4)
            .setMaxConnPerRoute(maxConnections + 4)
            .build();
    IOReactorConfig reactor =
        IOReactorConfig.custom()
            .setIoThreadCount(ioThreads)
            .setTcpNoDelay(true)
            .setSoKeepAlive(true)
            .setSoTimeout(Timeout.ofMinutes(5))
            .build();
    this.client =
        HttpAsyncClients.createMinimal(H2Config.DEFAULT, Http1Config.DEFAULT, reactor, pool);
    this.client.start();
  }

  @Override
  public String name() {
    return "apache-httpclient5";
  }

  @Override
  public HttpConnection open() {
    return new Connection();
  }

  @Override
  public void close() {
    client.close(CloseMode.IMMEDIATE);
  }

  private final class Connection implements HttpConnection {
    private volatile AsyncClientEndpoint endpoint;
    private volatile Future<?> inFlight;
    private volatile boolean closed;

    @Override
    public void send(HttpCall call, HttpReply reply) {
      if (closed) {
        reply.onReply(-1, null, new ClosedChannelException());
        return;
      }
      AsyncClientEndpoint current = endpoint;
      if (current != null && current.isConnected()) {
        execute(current, call, reply);
        return;
      }
      if (current != null) {
        endpoint = null;
        current.releaseAndDiscard();
      }
      inFlight =
          client.lease(
              host,
              new FutureCallback<>() {
                @Override
                public void completed(AsyncClientEndpoint leased) {
                  if (closed) {
                    leased.releaseAndDiscard();
                    reply.onReply(-1, null, new ClosedChannelException());
                    return;
                  }
                  endpoint = leased;
                  execute(leased, call, reply);
                }

                @Override
                public void failed(Exception ex) {
                  reply.onReply(-1, null, ex);
                }

                @Override
                public void cancelled() {
                  reply.onReply(-1, null, new CancellationException("lease cancelled"));
                }
              });
    }

    private void execute(AsyncClientEndpoint on, HttpCall call, HttpReply reply) {
      SimpleHttpRequest request =
          SimpleHttpRequest.create(Method.normalizedValueOf(call.method()), host, call.path());
      if (call.body() != null) {
        request.setBody(
            call.body(),
            call.contentType() == null
                ? ContentType.APPLICATION_OCTET_STREAM
                : ContentType.parse(call.contentType()));
      }
      inFlight =
          on.execute(
              SimpleRequestProducer.create(request),
              SimpleResponseConsumer.create(),
              new FutureCallback<SimpleHttpResponse>() {
                @Override
                public void completed(SimpleHttpResponse response) {
                  byte[] body = response.getBodyBytes();
                  reply.onReply(response.getCode(), body == null ? new byte[0] : body, null);
                }

                @Override
                public void failed(Exception ex) {
                  discard(on);
                  reply.onReply(-1, null, ex);
                }

                @Override
                public void cancelled() {
                  discard(on);
                  reply.onReply(-1, null, new CancellationException("request cancelled"));
                }
              });
    }

    private void discard(AsyncClientEndpoint failed) {
      if (endpoint == failed) {
        endpoint = null;
      }
      failed.releaseAndDiscard();
    }

    @Override
    public void abort() {
      Future<?> pending = inFlight;
      if (pending != null) {
        pending.cancel(true);
      }
      AsyncClientEndpoint current = endpoint;
      if (current != null) {
        discard(current);
      }
    }

    @Override
    public void close() {
      closed = true;
      AsyncClientEndpoint current = endpoint;
      endpoint = null;
      if (current != null) {
        current.releaseAndDiscard();
      }
    }
  }
}
