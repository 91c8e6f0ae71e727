package dev.cairn.bench.http;

/** One logical keep-alive connection; connects lazily and again after a failure. */
public interface HttpConnection extends AutoCloseable {

  /** Sends {@code call}; the previous call on this connection must have completed. */
  void send(HttpCall call, HttpReply reply);

  /** Drops the outstanding call, closing the underlying connection if there is one. */
  void abort();

  @Override
  void close();
}
