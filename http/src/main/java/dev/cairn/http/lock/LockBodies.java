package dev.cairn.http.lock;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cairn.recipes.lock.Lock;
import java.util.List;

/** The JSON bodies of {@code /v1/locks}. */
final class LockBodies {
  private LockBodies() {}

  /**
   * {@code POST /v1/locks/{name}}: exactly one of {@code ttl} (seconds; a lease is granted for the
   * holder) and {@code lease} (an existing lease id); {@code timeout_ms} how long to wait.
   */
  record AcquireBody(Long ttl, Long lease, Long timeoutMs) {}

  /** A lock held. */
  record Grant(String name, String key, long fencingToken, long lease) {
    static Grant of(Lock.Grant g) {
      return new Grant(g.name(), g.key(), g.fencingToken(), g.lease());
    }
  }

  /** {@code DELETE}'s answer: the grant {@code fencing_token} of lock {@code name} ended. */
  record Released(String name, long fencingToken) {}

  record Waiter(String key, long lease, long sinceRevision) {}

  /** {@code GET}'s answer; {@code holder} is null (written as such) when nobody holds the lock. */
  record Status(
      String name,
      @JsonInclude(JsonInclude.Include.ALWAYS) Grant holder,
      List<Waiter> waiters,
      long revision) {
    static Status of(String name, Lock.State s) {
      return new Status(
          name,
          s.holder() == null ? null : Grant.of(s.holder()),
          s.waiters().stream().map(w -> new Waiter(w.key(), w.lease(), w.sinceRevision())).toList(),
          s.revision());
    }
  }
}
