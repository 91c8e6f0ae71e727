package dev.cairn.http.listener;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One accepted TCP connection, shared by the stages of its stream: the request side counts requests
 * and responses, the byte side ({@link ConnectionStage}) reads them to tell a connection waiting
 * for a request's headers from one serving a request or a stream.
 */
final class Connection {
  final InetSocketAddress remote;
  final boolean admitted;

  /** Requests handed to the handler; written by the request side only. */
  volatile long requests;

  /** Responses that came back from the handler; written by the request side only. */
  volatile long responses;

  /** A response whose body is a stream (server-sent events) is being sent. */
  volatile boolean streaming;

  /** The connection speaks HTTP/2 (h2c, by prior knowledge or upgrade). */
  volatile boolean http2;

  /** HTTP/2 requests being served and HTTP/2 response streams being sent. */
  final java.util.concurrent.atomic.AtomicInteger http2Busy =
      new java.util.concurrent.atomic.AtomicInteger();

  /** The connection was switched to WebSocket. */
  volatile boolean upgraded;

  /** Closes the connection from outside its stream (shutdown); set when the stream starts. */
  private volatile Consumer<String> closer;

  /** Why the server closed the connection (null: the client did, or it ended normally). */
  volatile String closedBecause;

  Connection(InetSocketAddress remote, boolean admitted) {
    this.remote = remote;
    this.admitted = admitted;
  }

  /** No request is being served and no stream is being sent: the connection is idle. */
  boolean idle() {
    return requests == responses && http2Busy.get() == 0 && !streaming && !upgraded;
  }

  void closer(Consumer<String> c) {
    this.closer = c;
  }

  /** Asks the connection's stream to close it; {@code reason} names why, for metrics. */
  void close(String reason) {
    Consumer<String> c = closer;
    if (c != null) {
      c.accept(reason);
    }
  }
}
