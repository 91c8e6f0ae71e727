package dev.cairn.http.lock;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cairn.recipes.lock.Lock;
import java.util.List;

/** The JSON bodies of {@code /v1/locks}. */
public final class LockBodies {
  private LockBodies() {}

  /**
   * {@code POST /v1/locks/{name}}: exactly one of {@code ttl} (seconds; a lease is granted for the
   * holder) and {@code lease} (an existing lease id); {@code timeout_ms} how long to wait.
   */
  record LockAcquireRequest(Long ttl, Long lease, Long timeoutMs) {}

  /** A lock held. */
  record LockGrant(String name, String key, long fencingToken, long lease) {
    static LockGrant of(Lock.Grant g) {
      return new LockGrant(g.name(), g.key(), g.fencingToken(), g.lease());
    }
  }

  /** {@code DELETE}'s answer: the grant {@code fencing_token} of lock {@code name} ended. */
  record LockReleased(String name, long fencingToken) {}

  record LockWaiter(String key, long lease, long sinceRevision) {}

  /** {@code GET}'s answer; {@code holder} is null (written as such) when nobody holds the lock. */
  record LockStatus(
      String name,
      @JsonInclude(JsonInclude.Include.ALWAYS) LockGrant holder,
      List<LockWaiter> waiters,
      long revision) {
    static LockStatus of(String name, Lock.State s) {
      return new LockStatus(
          name,
          s.holder() == null ? null : LockGrant.of(s.holder()),
          s.waiters().stream()
              .map(w -> new LockWaiter(w.key(), w.lease(), w.sinceRevision()))
              .toList(),
          s.revision());
    }
  }
}
