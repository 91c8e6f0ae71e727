package dev.cairn.persistence.journal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The journal's writes not answered yet, oldest first, each with the time it is due by: {@link
 * #expire} fails the ones past it with a {@link TimeoutException}. One deque and a periodic check
 * instead of a timer per write ({@link CompletableFuture#orTimeout} schedules and cancels a task on
 * a shared scheduler thread for each write, and wakes that thread). The log forces its writes in
 * the order they came, so the oldest write is the first to look at. Not thread-safe: confined to
 * the journal's actor.
 */
final class DueWrites {
  private record Due(CompletableFuture<?> write, long deadlineNanos) {}

  private final long timeoutNanos;
  private final ArrayDeque<Due> pending = new ArrayDeque<>();

  DueWrites(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
  }

  /** Tracks {@code write}, submitted at {@code nowNanos}; forgets the answered ones ahead of it. */
  void add(CompletableFuture<?> write, long nowNanos) {
    dropAnswered();
    if (!write.isDone()) {
      pending.add(new Due(write, nowNanos + timeoutNanos));
    }
  }

  /** Fails every write not answered by {@code nowNanos}, up to the first one still in time. */
  void expire(long nowNanos) {
    dropAnswered();
    while (!pending.isEmpty() && nowNanos - pending.peek().deadlineNanos() >= 0) {
      pending.poll().write().completeExceptionally(new TimeoutException());
      dropAnswered();
    }
  }

  /** Writes tracked and not answered when last looked at. */
  int size() {
    return pending.size();
  }

  private void dropAnswered() {
    while (!pending.isEmpty() && pending.peek().write().isDone()) {
      pending.poll();
    }
  }
}
