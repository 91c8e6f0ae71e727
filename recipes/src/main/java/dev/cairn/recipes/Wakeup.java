package dev.cairn.recipes;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The watches one waiter waits on, firing once: the first event that matters wins, and every watch
 * is then cancelled. Thread-safe: events may arrive while the watches are still being added, and a
 * watch added after the wake-up fired (or after {@link #close}) is cancelled at once.
 */
public final class Wakeup {
  private final AtomicBoolean done = new AtomicBoolean();
  private final List<CairnClient.Watch> watches = new CopyOnWriteArrayList<>();

  /** Adds a watch to cancel when this wake-up fires or closes. */
  public void add(CairnClient.Watch w) {
    watches.add(w);
    if (done.get()) {
      w.cancel();
    }
  }

  /**
   * True for the first caller only, who then acts on the event; every watch is cancelled. False
   * once fired or closed.
   */
  public boolean fire() {
    if (!done.compareAndSet(false, true)) {
      return false;
    }
    cancelAll();
    return true;
  }

  /** Cancels every watch; no later {@link #fire} succeeds. Idempotent. */
  public void close() {
    done.set(true);
    cancelAll();
  }

  private void cancelAll() {
    for (CairnClient.Watch w : watches) {
      w.cancel();
    }
  }
}
