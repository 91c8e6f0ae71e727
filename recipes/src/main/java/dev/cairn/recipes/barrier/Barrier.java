package dev.cairn.recipes.barrier;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.Wakeup;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A simple barrier, after etcd's {@code recipe.Barrier} and Curator's {@code DistributedBarrier}:
 * one party {@link #hold}s it, any number {@link #await} it, and they all go on when it is {@link
 * #release}d — or when the lease it is held with ends, so a holder that dies does not block the
 * waiters for ever.
 *
 * <p>Layout: one key {@code hold} under {@link DoubleBarrier#prefix(String)} (a barrier name has
 * both kinds; they do not interfere). Waiters watch that key alone, from the revision at which they
 * saw it held.
 */
public final class Barrier {
  private final CairnClient client;

  public Barrier(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The key that holds barrier {@code name} while it exists. */
  public static String holdKey(String name) {
    return DoubleBarrier.prefix(name) + "hold";
  }

  /**
   * Holds barrier {@code name}, bound to {@code lease} (0 for none: held until released). Holding a
   * held barrier again rebinds it to {@code lease}.
   *
   * @return the revision of the hold
   */
  public CompletionStage<Long> hold(String name, long lease) {
    return client.put(holdKey(name), Bytes.EMPTY, lease).thenApply(r -> r.revision());
  }

  /**
   * Releases barrier {@code name}; every waiter goes on.
   *
   * @return true when it was held
   */
  public CompletionStage<Boolean> release(String name) {
    return client.delete(holdKey(name)).thenApply(r -> r.deleted() > 0);
  }

  /**
   * Waits until barrier {@code name} is not held: at once when it is not.
   *
   * @param timeout how long to wait; {@link Duration#ZERO} only looks, null waits forever. When it
   *     passes the stage fails with {@code barrier_timeout}.
   * @return the revision at which it was seen released
   */
  public CompletionStage<Long> await(String name, Duration timeout) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    Wakeup wakeup = new Wakeup();
    boolean lookOnly = timeout != null && timeout.isZero();
    if (timeout != null && !lookOnly) {
      CairnClient.Scheduled timer =
          client.schedule(
              timeout,
              () -> {
                if (result.completeExceptionally(
                    new CairnException(
                        ErrorCode.BARRIER_TIMEOUT,
                        "barrier " + name + " still held after " + timeout.toMillis() + " ms"))) {
                  wakeup.close();
                }
              });
      result.whenComplete((v, err) -> timer.cancel());
    }
    String key = holdKey(name);
    client
        .prefix(key, 1)
        .whenComplete(
            (r, err) -> {
              if (err != null) {
                result.completeExceptionally(err);
              } else if (r.kvs().isEmpty() || !r.kvs().get(0).key().equals(key)) {
                result.complete(r.revision());
              } else if (lookOnly) {
                result.completeExceptionally(
                    new CairnException(ErrorCode.BARRIER_TIMEOUT, "barrier " + name + " is held"));
              } else if (!result.isDone()) {
                wakeup.add(
                    client.watch(
                        key,
                        r.revision() + 1,
                        e -> {
                          if (e.type() == WatchEvent.Type.DELETE && wakeup.fire()) {
                            result.complete(e.revision());
                          }
                        },
                        e -> {
                          if (wakeup.fire()) {
                            result.completeExceptionally(e);
                          }
                        }));
                if (result.isDone()) {
                  wakeup.close();
                }
              }
            });
    return result;
  }
}
