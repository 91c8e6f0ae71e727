package dev.cairn.http.recipe;

import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.recipes.CairnClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;

/**
 * What the blocking recipe endpoints (queue take, barrier enter) share: the {@code timeout_ms}
 * bound and the {@code "ttl" | "lease"} choice of the lease that binds the caller's keys.
 */
public final class Waits {
  /**
   * The longest wait, and the wait when none is given: below the server's request timeout (30 s),
   * so a waiter always gets its timeout answer and leaves no trace behind.
   */
  public static final long MAX_TIMEOUT_MS = 25_000;

  private Waits() {}

  /** {@code timeoutMs} (null = the longest) checked to lie in {@code [0, MAX_TIMEOUT_MS]}. */
  public static Duration timeout(Long timeoutMs) {
    long t = timeoutMs == null ? MAX_TIMEOUT_MS : timeoutMs;
    if (t < 0 || t > MAX_TIMEOUT_MS) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT,
          "timeout_ms must be between 0 and " + MAX_TIMEOUT_MS + ", not " + t);
    }
    return Duration.ofMillis(t);
  }

  /**
   * Runs {@code use} with the caller's lease: {@code lease} when given, else a lease of {@code ttl}
   * seconds granted for this request and revoked again if {@code use} fails. Exactly one of the two
   * must be given.
   */
  public static <T> CompletionStage<T> withLease(
      CairnClient client, Long ttl, Long lease, LongFunction<CompletionStage<T>> use) {
    if ((ttl == null) == (lease == null)) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "give exactly one of ttl (seconds) and lease (a lease id)");
    }
    if (lease != null) {
      if (lease <= 0) {
        throw new ApiException(ErrorCode.INVALID_ARGUMENT, "lease must be a positive lease id");
      }
      return use.apply(lease);
    }
    return client
        .grantLease(ttl)
        .thenCompose(
            granted ->
                use.apply(granted)
                    .handle(
                        (v, err) -> {
                          if (err == null) {
                            return CompletableFuture.completedFuture(v);
                          }
                          // The lease was made for this request only: it goes with the failure.
                          return client
                              .revokeLease(granted)
                              .handle((keys, e) -> Waits.<T>rethrow(err));
                        })
                    .thenCompose(s -> s));
  }

  private static <T> T rethrow(Throwable t) {
    if (t instanceof RuntimeException e) {
      throw e;
    }
    throw new CompletionException(t);
  }
}
