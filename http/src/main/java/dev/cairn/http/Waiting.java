package dev.cairn.http;

import dev.cairn.core.ErrorCode;
import dev.cairn.http.lock.LockApi;
import dev.cairn.recipes.CairnClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The request parts the waiting recipes (read-write locks, semaphores, queues, barriers, elections)
 * share with the lock: {@code timeout_ms}, exactly one of {@code ttl} and {@code lease}, a lease
 * granted for one wait and revoked when it fails, and a release's {@code ?token=}.
 */
public final class Waiting {
  private Waiting() {}

  /** {@code timeout_ms}, 0 to {@link LockApi#MAX_TIMEOUT_MS}, that maximum when absent. */
  public static Duration timeout(Long timeoutMs) {
    long ms = timeoutMs == null ? LockApi.MAX_TIMEOUT_MS : timeoutMs;
    if (ms < 0 || ms > LockApi.MAX_TIMEOUT_MS) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT,
          "timeout_ms must be between 0 and " + LockApi.MAX_TIMEOUT_MS + ", not " + ms);
    }
    return Duration.ofMillis(ms);
  }

  /** Refuses a body without exactly one of {@code ttl} and a positive {@code lease}. */
  public static void leaseOrTtl(Long ttl, Long lease) {
    if ((ttl == null) == (lease == null)) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "give exactly one of ttl (seconds) and lease (a lease id)");
    }
    if (lease != null && lease <= 0) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "lease must be a positive lease id");
    }
  }

  /**
   * Runs {@code acquire} with {@code lease}, or with a lease of {@code ttl} granted for it and
   * revoked again when the acquisition fails (it was made for this wait only).
   */
  public static CompletionStage<HttpResponse> withLease(
      CairnClient client,
      Long ttl,
      Long lease,
      LongFunction<CompletionStage<HttpResponse>> acquire) {
    if (lease != null) {
      return acquire.apply(lease);
    }
    return client
        .grantLease(ttl)
        .thenCompose(
            l ->
                acquire
                    .apply(l)
                    .handle(
                        (ok, err) ->
                            err == null
                                ? CompletableFuture.completedFuture(ok)
                                : client
                                    .revokeLease(l)
                                    .handle((keys, e) -> Waiting.<HttpResponse>rethrow(err)))
                    .thenCompose(s -> s));
  }

  private static <T> T rethrow(Throwable t) {
    if (t instanceof RuntimeException e) {
      throw e;
    }
    throw new CompletionException(t);
  }

  /** The release's {@code ?token=}. */
  public static long token(Request r) {
    String raw =
        r.param("token")
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.MALFORMED_REQUEST, "a release needs ?token=<token>"));
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "token must be an integer, not '" + raw + "'");
    }
  }
}
