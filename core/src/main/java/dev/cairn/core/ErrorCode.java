package dev.cairn.core;

/**
 * Every error a client can see, each with a stable wire string (the {@code code} field of a
 * problem+json body). Wire strings never change once released; add new codes instead.
 */
public enum ErrorCode {
  /** A request that cannot be parsed or has an invalid field. */
  MALFORMED_REQUEST("malformed_request"),
  INVALID_ARGUMENT("invalid_argument"),
  EMPTY_KEY("empty_key"),
  KEY_TOO_LARGE("key_too_large"),
  VALUE_TOO_LARGE("value_too_large"),
  PAYLOAD_TOO_LARGE("payload_too_large"),
  /**
   * The answer is larger than a reply from the namespace's leader on another node can be (Artery's
   * frame): narrow the read, or read serializable from this node's replica.
   */
  RESPONSE_TOO_LARGE("response_too_large"),
  TOO_MANY_TXN_OPS("too_many_txn_ops"),
  DUPLICATE_KEY_IN_TXN("duplicate_key_in_txn"),
  KEY_NOT_FOUND("key_not_found"),
  KEY_EXISTS("key_exists"),
  PRECONDITION_FAILED("precondition_failed"),
  LEASE_NOT_FOUND("lease_not_found"),
  LEASE_EXISTS("lease_exists"),
  TTL_OUT_OF_RANGE("ttl_out_of_range"),
  COMPACTED("compacted"),
  FUTURE_REVISION("future_revision"),
  NAMESPACE_NOT_FOUND("namespace_not_found"),
  NAMESPACE_EXISTS("namespace_exists"),
  NAMESPACE_NOT_EMPTY("namespace_not_empty"),
  NAMESPACE_PROTECTED("namespace_protected"),
  WATCH_NOT_FOUND("watch_not_found"),
  TOO_MANY_WATCHES("too_many_watches"),
  TOO_MANY_CONNECTIONS("too_many_connections"),
  /**
   * A session's call was refused because the session already has as many calls in flight as its
   * node allows ({@code cairn.watch.max-calls-per-connection}); it was not run, so it is safe to
   * send again.
   */
  TOO_MANY_REQUESTS("too_many_requests"),
  NOT_FOUND("not_found"),
  METHOD_NOT_ALLOWED("method_not_allowed"),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
  NOT_ACCEPTABLE("not_acceptable"),
  NOT_LEADER_RETRY("not_leader_retry"),
  UNAVAILABLE("unavailable"),
  /**
   * The node's journal is Cassandra and it cannot reach it (at start: it keeps trying, with
   * backoff, and serves once Cassandra answers).
   */
  CASSANDRA_UNREACHABLE("cassandra_unreachable"),
  /**
   * The write could not be made durable: the journal's disk is full. Nothing of it is visible;
   * writes resume by themselves once space is freed.
   */
  INSUFFICIENT_STORAGE("insufficient_storage"),
  TIMEOUT("timeout"),
  /** A lock was not granted within the caller's timeout (or at once, for a try-lock). */
  LOCK_TIMEOUT("lock_timeout"),
  /** A release named a fencing token that does not hold the lock; nothing changed. */
  NOT_HOLDER("not_holder"),
  /**
   * A fenced write named a lock and token that no longer hold that lock (a newer holder was granted
   * it, or it was released); nothing changed.
   */
  FENCED("fenced"),
  /** A service instance that is not registered (never, or deregistered since). */
  INSTANCE_NOT_FOUND("instance_not_found"),
  /**
   * A duration that is neither a number of seconds nor a string as Consul writes them ({@code
   * "500ms"}, {@code "10s"}, {@code "1m30s"}), or out of its field's range.
   */
  INVALID_DURATION("invalid_duration"),
  /**
   * A lease already holds or waits for the read-write lock in the other mode; one lease has one
   * place in a lock's queue.
   */
  MODE_CONFLICT("mode_conflict"),
  /** A semaphore permit was not granted within the caller's timeout (or at once, for 0). */
  SEMAPHORE_TIMEOUT("semaphore_timeout"),
  /** A semaphore was asked for with a permit count other than the one it was created with. */
  SEMAPHORE_PERMITS_MISMATCH("semaphore_permits_mismatch"),
  /** No semaphore of that name was ever created (its first acquisition gives its permits). */
  SEMAPHORE_NOT_FOUND("semaphore_not_found"),
  /** No counter of that name exists yet (its first addition creates it). */
  COUNTER_NOT_FOUND("counter_not_found"),
  /** A queue take found no item within the caller's timeout (or at once, with a timeout of 0). */
  QUEUE_TIMEOUT("queue_timeout"),
  /**
   * A queue ack named a claim token that does not hold that item (the claim's lease ended and the
   * item went back to the queue, or it was acked already); nothing changed.
   */
  NOT_CLAIMED("not_claimed"),
  /** A barrier did not open (enter) or empty (leave) within the caller's timeout. */
  BARRIER_TIMEOUT("barrier_timeout"),
  /** A barrier was entered with a member count other than the one its current round has. */
  COUNT_MISMATCH("count_mismatch"),
  /** A barrier leave named a lease that is not a member of the barrier; nothing changed. */
  NOT_MEMBER("not_member"),
  /** A lock held by a session ended with the session's lease (an event on the session). */
  LOCK_LOST("lock_lost"),
  /** A campaign was not elected within the caller's timeout; its candidacy was withdrawn. */
  CAMPAIGN_TIMEOUT("campaign_timeout"),
  /**
   * A leader's candidacy is gone (its lease expired or was revoked, or it resigned): it no longer
   * leads and may not proclaim; nothing changed.
   */
  LEADERSHIP_LOST("leadership_lost"),
  INTERNAL("internal");

  private final String wire;

  ErrorCode(String wire) {
    this.wire = wire;
  }

  /** The stable snake_case string clients match on. */
  public String wire() {
    return wire;
  }
}
