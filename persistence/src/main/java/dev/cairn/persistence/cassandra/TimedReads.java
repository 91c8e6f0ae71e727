package dev.cairn.persistence.cassandra;

import java.util.concurrent.Callable;
import java.util.function.Function;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;

/**
 * Runs a plugin's blocking read on its dispatcher and, at DEBUG, says how long it took and how long
 * it waited for a thread first: "{what} in N ms (M ms queued)".
 */
final class TimedReads {
  private TimedReads() {}

  /** {@code read} on {@code ec}; {@code what} describes its result in the DEBUG line. */
  static <T> Future<T> run(
      LoggingAdapter log, ExecutionContext ec, Callable<T> read, Function<T, String> what) {
    long queued = System.nanoTime();
    return Futures.future(
        () -> {
          long started = System.nanoTime();
          T result = read.call();
          if (log.isDebugEnabled()) {
            log.debug(
                "{} in {} ms ({} ms queued)",
                what.apply(result),
                (System.nanoTime() - started) / 1_000_000,
                (started - queued) / 1_000_000);
          }
          return result;
        },
        ec);
  }
}
