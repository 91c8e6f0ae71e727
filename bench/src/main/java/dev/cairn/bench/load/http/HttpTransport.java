package dev.cairn.bench.load.http;

import java.net.URI;

/** A client library that opens {@link HttpConnection}s to one base URI. */
public interface HttpTransport extends AutoCloseable {

  /** Name recorded in results, e.g. {@code netty}. */
  String name();

  HttpConnection open();

  @Override
  void close();

  /** The client libraries that can be chosen with {@code --http-client}. */
  enum Kind {
    NETTY,
    APACHE,
    JDK;

    /**
     * Creates a transport to {@code base}.
     *
     * @param maxConnections upper bound on concurrent connections (the number of clients)
     * @param ioThreads I/O threads, for the libraries that let one choose
     */
    public HttpTransport create(URI base, int maxConnections, int ioThreads) {
      return switch (this) {
        case NETTY -> new NettyHttpTransport(base, ioThreads);
        case APACHE -> new ApacheHttpTransport(base, maxConnections, ioThreads);
        case JDK -> new JdkHttpTransport(base);
      };
    }
  }
}
