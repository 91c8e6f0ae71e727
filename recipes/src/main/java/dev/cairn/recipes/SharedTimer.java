package dev.cairn.recipes;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer of {@link CairnClient#schedule}'s default: one daemon thread, started on first use,
 * shared by every client that brings no timer of its own. Cancelled tasks leave its queue at once,
 * so a recipe that cancels its timeout when its wait ends leaves nothing behind.
 */
final class SharedTimer {
  private static final ScheduledThreadPoolExecutor TIMER = create();

  private SharedTimer() {}

  private static ScheduledThreadPoolExecutor create() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread thread = new Thread(r, "cairn-recipe-timer");
              thread.setDaemon(true);
              return thread;
            });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  static CairnClient.Scheduled schedule(Duration delay, Runnable task) {
    ScheduledFuture<?> f = TIMER.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }
}
