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

  /** {@code GET}'s answer; {@code round} and {@code cutoff} are 0 while the round fills. */
  record BarrierStatus(
      String name, int count, List<BarrierMember> members, long round, long cutoff, long revision) {
    static BarrierStatus of(String name, DoubleBarrier.State s) {
      return new BarrierStatus(
          name,
          s.count(),
          s.members().stream()
              .map(m -> new BarrierMember(m.key(), m.lease(), m.sinceRevision(), m.count()))
              .toList(),
          s.round(),
          s.cutoff(),
          s.revision());
    }
  }
}
