package dev.cairn.http;

import dev.cairn.core.ErrorCode;
import java.util.EnumMap;
import java.util.Map;

/**
 * The one table from {@link ErrorCode} to HTTP status. A test fails if a code is missing, so a new
 * code cannot reach a client as a 500.
 */
public final class Problems {
  private static final Map<ErrorCode, Integer> STATUS = new EnumMap<>(ErrorCode.class);

  static {
    STATUS.put(ErrorCode.MALFORMED_REQUEST, 400);
    STATUS.put(ErrorCode.INVALID_ARGUMENT, 400);
    STATUS.put(ErrorCode.EMPTY_KEY, 400);
    STATUS.put(ErrorCode.KEY_TOO_LARGE, 413);
    STATUS.put(ErrorCode.VALUE_TOO_LARGE, 413);
    STATUS.put(ErrorCode.PAYLOAD_TOO_LARGE, 413);
    STATUS.put(ErrorCode.RESPONSE_TOO_LARGE, 413);
    STATUS.put(ErrorCode.TOO_MANY_TXN_OPS, 413);
    STATUS.put(ErrorCode.DUPLICATE_KEY_IN_TXN, 400);
    STATUS.put(ErrorCode.KEY_NOT_FOUND, 404);
    STATUS.put(ErrorCode.PRECONDITION_FAILED, 412);
    STATUS.put(ErrorCode.FENCED, 412);
    STATUS.put(ErrorCode.NOT_HOLDER, 409);
    // 408: the server waited for the lock as long as the client asked it to; the queue entry is
    // gone.
    STATUS.put(ErrorCode.LOCK_TIMEOUT, 408);
    // 408 as for locks: the server waited as long as the client asked it to.
    STATUS.put(ErrorCode.QUEUE_TIMEOUT, 408);
    STATUS.put(ErrorCode.NOT_CLAIMED, 409);
    STATUS.put(ErrorCode.BARRIER_TIMEOUT, 408);
    STATUS.put(ErrorCode.COUNT_MISMATCH, 409);
    STATUS.put(ErrorCode.NOT_MEMBER, 409);
    STATUS.put(ErrorCode.LEASE_NOT_FOUND, 404);
    STATUS.put(ErrorCode.MODE_CONFLICT, 409);
    // 408 as lock_timeout: the server waited as asked; the queue entry is gone.
    STATUS.put(ErrorCode.SEMAPHORE_TIMEOUT, 408);
    STATUS.put(ErrorCode.SEMAPHORE_PERMITS_MISMATCH, 409);
    STATUS.put(ErrorCode.SEMAPHORE_NOT_FOUND, 404);
    STATUS.put(ErrorCode.COUNTER_NOT_FOUND, 404);
    STATUS.put(ErrorCode.LOCK_LOST, 409);
    // 408 as for a lock: the server waited as long as asked and withdrew the candidacy.
    STATUS.put(ErrorCode.CAMPAIGN_TIMEOUT, 408);
    STATUS.put(ErrorCode.LEADERSHIP_LOST, 409);
    STATUS.put(ErrorCode.LEASE_EXISTS, 409);
    STATUS.put(ErrorCode.TTL_OUT_OF_RANGE, 400);
    STATUS.put(ErrorCode.COMPACTED, 410);
    STATUS.put(ErrorCode.FUTURE_REVISION, 400);
    STATUS.put(ErrorCode.NAMESPACE_NOT_FOUND, 404);
    STATUS.put(ErrorCode.NAMESPACE_EXISTS, 409);
    STATUS.put(ErrorCode.KEY_EXISTS, 409);
    STATUS.put(ErrorCode.NAMESPACE_NOT_EMPTY, 409);
    STATUS.put(ErrorCode.NAMESPACE_PROTECTED, 409);
    STATUS.put(ErrorCode.WATCH_NOT_FOUND, 404);
    STATUS.put(ErrorCode.TOO_MANY_WATCHES, 429);
    STATUS.put(ErrorCode.TOO_MANY_CONNECTIONS, 503);
    // 429 as too_many_watches: the session's own limit, not the node's availability.
    STATUS.put(ErrorCode.TOO_MANY_REQUESTS, 429);
    STATUS.put(ErrorCode.NOT_FOUND, 404);
    STATUS.put(ErrorCode.METHOD_NOT_ALLOWED, 405);
    STATUS.put(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415);
    STATUS.put(ErrorCode.NOT_ACCEPTABLE, 406);
    STATUS.put(ErrorCode.NOT_LEADER_RETRY, 503);
    STATUS.put(ErrorCode.UNAVAILABLE, 503);
    STATUS.put(ErrorCode.CASSANDRA_UNREACHABLE, 503);
    STATUS.put(ErrorCode.INSUFFICIENT_STORAGE, 507);
    STATUS.put(ErrorCode.TIMEOUT, 503);
    STATUS.put(ErrorCode.INSTANCE_NOT_FOUND, 404);
    STATUS.put(ErrorCode.INVALID_DURATION, 400);
    STATUS.put(ErrorCode.INTERNAL, 500);
  }

  private Problems() {}

  /** The HTTP status for {@code code}; throws for an unmapped code (caught by a test). */
  public static int status(ErrorCode code) {
    Integer s = STATUS.get(code);
    if (s == null) {
      throw new IllegalStateException("no HTTP status for " + code);
    }
    return s;
  }

  /** True for errors a client should retry after a pause (503 with Retry-After). */
  public static boolean retryable(ErrorCode code) {
    return status(code) == 503;
  }

  public static String title(ErrorCode code) {
    String w = code.wire().replace('_', ' ');
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }

  public static String type(ErrorCode code) {
    return "urn:cairn:problem:" + code.wire();
  }
}
