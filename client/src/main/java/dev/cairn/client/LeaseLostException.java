package dev.cairn.client;

/**
 * A lease the client was keeping alive is gone: it expired (the client could not renew it in time)
 * or was revoked. Everything that depended on it — its keys, a lock or a leadership held with it —
 * is gone too; the client never grants a replacement silently. Handed to every {@link
 * Leases.LossListener} and to each held lock or leadership that used the lease.
 */
public final class LeaseLostException extends CairnClientException {
  private final long lease;

  LeaseLostException(long lease, String reason) {
    super("lease_lost", "lease " + lease + " lost: " + reason, null);
    this.lease = lease;
  }

  /** The lease's id. */
  public long lease() {
    return lease;
  }
}
