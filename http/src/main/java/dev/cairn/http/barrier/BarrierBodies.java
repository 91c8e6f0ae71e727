package dev.cairn.http.barrier;

import dev.cairn.recipes.barrier.DoubleBarrier;
import java.util.List;

/** The JSON bodies of {@code /v1/barriers}. */
public final class BarrierBodies {
  private BarrierBodies() {}

  /**
   * {@code POST /v1/barriers/{barrier}/enter}: the member count to wait for; exactly one of {@code
   * ttl} (seconds; a lease is granted for the member) and {@code lease}; {@code timeout_ms} how
   * long to wait.
   */
  record BarrierEnterRequest(Integer count, Long ttl, Long lease, Long timeoutMs) {}

  /** A member let through: {@code round} is the revision its round opened at. */
  record BarrierEntered(String name, String key, long lease, int count, long round) {
    static BarrierEntered of(DoubleBarrier.Entered e) {
      return new BarrierEntered(e.name(), e.key(), e.lease(), e.count(), e.round());
    }
  }

  /** {@code POST /v1/barriers/{barrier}/leave}: the member's lease; how long to wait. */
  record BarrierLeaveRequest(Long lease, Long timeoutMs) {}

  /** Every member of the round has left, as of {@code revision}. */
  record BarrierLeft(String name, long lease, long revision) {}

  record BarrierMember(String key, long lease, long sinceRevision, int count) {}

  /**
   * {@code PUT /v1/barriers/{barrier}/hold}: at most one of {@code ttl} (seconds; a lease is
   * granted for the hold) and {@code lease}; neither holds it until released.
   */
  record BarrierHoldRequest(Long ttl, Long lease) {}

  /** The barrier is held, bound to {@code lease} (0 for none). */
  record BarrierHeld(String name, long lease, long revision) {}

  /** {@code DELETE …/hold}'s answer: {@code released} is false when it was not held. */
  record BarrierReleased(String name, boolean released, long revision) {}

  /** {@code POST /v1/barriers/{barrier}/wait}: how long to wait for the release. */
  record BarrierWaitRequest(Long timeoutMs) {}

  /** The barrier was not held at {@code revision}. */
  record BarrierOpen(String name, long revision) {}

  /**
   * {@code GET}'s answer; {@code round} and {@code cutoff} are 0 while the round fills; {@code
   * held} tells whether the simple barrier is held.
   */
  record BarrierStatus(
      String name,
      int count,
      List<BarrierMember> members,
      long round,
      long cutoff,
      boolean held,
      long revision) {
    static BarrierStatus of(String name, DoubleBarrier.State s) {
      return new BarrierStatus(
          name,
          s.count(),
          s.members().stream()
              .map(m -> new BarrierMember(m.key(), m.lease(), m.sinceRevision(), m.count()))
              .toList(),
          s.round(),
          s.cutoff(),
          s.held(),
          s.revision());
    }
  }
}
