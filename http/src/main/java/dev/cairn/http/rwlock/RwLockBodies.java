package dev.cairn.http.rwlock;

import dev.cairn.recipes.rwlock.RwLock;
import java.util.List;

/** The JSON bodies of {@code /v1/rwlocks}. */
public final class RwLockBodies {
  private RwLockBodies() {}

  /**
   * {@code POST /v1/rwlocks/{name}}: {@code mode} ({@code read} or {@code write}), exactly one of
   * {@code ttl} (seconds; a lease is granted for the holder) and {@code lease} (an existing lease
   * id); {@code timeout_ms} how long to wait.
   */
  record RwLockAcquireRequest(String mode, Long ttl, Long lease, Long timeoutMs) {}

  /** A read or write grant. */
  record RwLockGrant(String name, String key, String mode, long fencingToken, long lease) {
    static RwLockGrant of(RwLock.Grant g) {
      return new RwLockGrant(g.name(), g.key(), g.mode().wire(), g.token(), g.lease());
    }
  }

  /** {@code DELETE}'s answer: the grant {@code fencing_token} of lock {@code name} ended. */
  record RwLockReleased(String name, String mode, long fencingToken) {}

  record RwLockWaiter(String key, String mode, long lease, long sinceRevision) {}

  /** {@code GET}'s answer: every holder (readers, or one writer) and the queue behind them. */
  record RwLockStatus(
      String name, List<RwLockGrant> holders, List<RwLockWaiter> waiters, long revision) {
    static RwLockStatus of(String name, RwLock.State s) {
      return new RwLockStatus(
          name,
          s.holders().stream().map(RwLockGrant::of).toList(),
          s.waiters().stream()
              .map(w -> new RwLockWaiter(w.key(), w.mode().wire(), w.lease(), w.token()))
              .toList(),
          s.revision());
    }
  }
}
