package dev.cairn.http.lease;

import java.util.List;

/**
 * The JSON answers of {@code /leases}, each named as its schema in {@code openapi.yaml} ({@code
 * OpenApiBodiesTest} holds the two to the same fields). TTLs are in seconds.
 */
public final class LeaseBodies {
  private LeaseBodies() {}

  public record LeaseGrantResponse(long id, long ttl, long revision) {}

  /**
   * @param ttl the full TTL the lease was renewed to
   */
  public record LeaseKeepAliveResponse(long id, long ttl, long revision) {}

  public record LeaseList(long revision, List<LeaseId> leases) {}

  public record LeaseId(long id) {}

  /**
   * @param ttl seconds left
   */
  public record LeaseStatus(long id, long ttl, long grantedTtl, List<String> keys, long revision) {}

  /**
   * @param deleted keys deleted with the lease
   */
  public record LeaseRevokeResponse(long id, long revision, long deleted) {}
}
