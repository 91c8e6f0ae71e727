package dev.cairn.cli;

import java.util.concurrent.CountDownLatch;

/**
 * The end of a long-running command ({@code watch}, {@code elect}, {@code lease keepalive}, …): the
 * main thread waits on it until the command ends by itself (an error, a count reached) or the
 * process is stopped by a signal, whose shutdown hook then runs the command's cleanup.
 */
final class Blocking {
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile int code = Exit.OK;

  /** Ends the wait with exit code {@code code} (the first call wins). */
  synchronized void finish(int code) {
    if (done.getCount() > 0) {
      this.code = code;
      done.countDown();
    }
  }

  /** Waits for {@link #finish}; returns its code. */
  int await() throws InterruptedException {
    done.await();
    return code;
  }
}
