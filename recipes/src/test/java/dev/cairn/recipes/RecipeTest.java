package dev.cairn.recipes;

import dev.cairn.core.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;

/**
 * The scaffolding every recipe test shares, so that a test says only what it checks: a fresh
 * in-memory keyspace ({@link KeyspaceClient}) per test, closed after it; leases; and waiting for a
 * stage's value or its failure's {@link ErrorCode}, or for a condition, at most 30 s each.
 */
public abstract class RecipeTest {
  /** How long {@link #get} and {@link #failure} wait for a stage. */
  private static final long WAIT_SECONDS = 30;

  /** The keyspace of this test; recipes under test are built on it. */
  protected final KeyspaceClient client = new KeyspaceClient();

  @AfterEach
  void closeClient() {
    client.close();
  }

  /** A new lease of 60 s, longer than any test here: it ends only when a test ends it. */
  protected long lease() throws Exception {
    return get(client.grantLease(60));
  }

  /** The value of {@code s}; fails if it fails or takes more than 30 s. */
  protected static <T> T get(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The code {@code s} fails with; an {@link AssertionError} if it succeeds or takes 30 s. */
  protected static ErrorCode failure(CompletionStage<?> s) {
    try {
      s.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return CairnException.codeOf(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  /** The {@code i}-th of the bodies {@link #concurrently} runs. */
  protected interface Body {
    void run(int i) throws Exception;
  }

  /**
   * Runs {@code n} bodies at once, each on a thread of its own, and waits for them all, at most
   * {@code seconds}; one that throws (an assertion too) fails the test with what it threw.
   */
  protected static void concurrently(int n, long seconds, Body body) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(n);
    try {
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    body.run(index);
                  } catch (Exception e) {
                    throw new CompletionException(e);
                  }
                },
                threads));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(seconds, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
  }

  /** A condition {@link #await} polls. */
  protected interface Check {
    boolean ok() throws Exception;
  }

  /** Polls {@code c} every millisecond until it holds; an {@link AssertionError} after 30 s. */
  protected static void await(Check c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!c.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in " + WAIT_SECONDS + " s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
