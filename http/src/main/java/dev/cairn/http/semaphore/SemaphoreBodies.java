package dev.cairn.http.semaphore;

import dev.cairn.recipes.semaphore.Semaphore;
import java.util.List;

/** The JSON bodies of {@code /v1/semaphores}. */
public final class SemaphoreBodies {
  private SemaphoreBodies() {}

  /**
   * {@code POST /v1/semaphores/{name}}: {@code permits} the semaphore's permit count (required to
   * create it, else optional and checked), exactly one of {@code ttl} and {@code lease}, {@code
   * timeout_ms} how long to wait. Each acquisition takes one permit.
   */
  record SemaphoreAcquireRequest(Integer permits, Long ttl, Long lease, Long timeoutMs) {}

  /** A permit held. */
  record SemaphoreGrant(String name, String key, long token, long lease, int permits) {
    static SemaphoreGrant of(Semaphore.Grant g) {
      return new SemaphoreGrant(g.name(), g.key(), g.token(), g.lease(), g.permits());
    }
  }

  record SemaphoreHolder(String key, long token, long lease) {}

  /** {@code DELETE}'s answer: the permit granted with {@code token} is back. */
  record SemaphoreReleased(String name, long token) {}

  record SemaphoreWaiter(String key, long lease, long sinceRevision) {}

  /** {@code GET}'s answer. */
  record SemaphoreStatus(
      String name,
      int permits,
      List<SemaphoreHolder> holders,
      List<SemaphoreWaiter> waiters,
      long revision) {
    static SemaphoreStatus of(String name, Semaphore.State s) {
      return new SemaphoreStatus(
          name,
          s.permits(),
          s.holders().stream()
              .map(h -> new SemaphoreHolder(h.key(), h.token(), h.lease()))
              .toList(),
          s.waiters().stream()
              .map(w -> new SemaphoreWaiter(w.key(), w.lease(), w.token()))
              .toList(),
          s.revision());
    }
  }
}
