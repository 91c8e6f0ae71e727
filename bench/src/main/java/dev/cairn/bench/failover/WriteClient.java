package dev.cairn.bench.failover;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One client of the system under test, with one write in flight at a time (the benchmark's {@link
 * Writers} send the next write when the previous one has ended).
 */
public interface WriteClient extends AutoCloseable {

  /**
   * Sends write number {@code seq} of this client's key. Completes, on any thread, with the name of
   * the member that acknowledged it ({@code ""} when the client library does not say), or
   * exceptionally when it failed or no acknowledgement came within {@code timeout}. Never blocks.
   */
  CompletableFuture<String> write(long seq, Duration timeout);

  /**
   * Called after a failed write, before the next one: a client that chooses its member itself moves
   * on to another one, as etcd's and Cairn's clients do; one whose library chooses does nothing.
   */
  void moveOn();

  @Override
  void close();
}
