package dev.cairn.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Something this client holds by a lease it keeps alive: a lock, a leadership, a read-write lock,
 * semaphore permits, a barrier, a double-barrier membership, a queue claim, a service registration.
 * If the lease is lost anyway (expired, revoked), what it held is gone with it: {@link #lost()}
 * completes exceptionally with {@link LeaseLostException}, and nothing is granted again silently.
 * {@link #close()} lets go of what is held, then revokes the lease if the client granted it for
 * this holding.
 *
 * <p>Every recipe object of {@link Recipes} that depends on a lease is one of these, told of the
 * loss through one listener on {@link Leases#onLoss} ({@link Recipes#onLeaseLost}).
 */
public abstract class LeaseBound implements AutoCloseable {
  final CairnClient client;
  private final long lease;
  private final boolean ownLease;
  private final CompletableFuture<Void> lost = new CompletableFuture<>();

  LeaseBound(CairnClient client, long lease, boolean ownLease) {
    this.client = client;
    this.lease = lease;
    this.ownLease = ownLease;
  }

  /** The lease this is held by. */
  public long lease() {
    return lease;
  }

  /**
   * Never completes normally: completes exceptionally with {@link LeaseLostException} when the
   * lease is lost (what was held is then gone), and is cancelled by {@link #release()}.
   */
  public CompletionStage<Void> lost() {
    return lost;
  }

  /** False once the lease was lost or the holding released. */
  public boolean isHeld() {
    return !lost.isDone();
  }

  void leaseLost(LeaseLostException e) {
    lost.completeExceptionally(e);
  }

  /** Lets go of what is held (the recipe's own release); its failure is ignored. */
  abstract CompletionStage<?> letGo();

  /** Lets go of what is held, then revokes the lease if the client granted it for this. */
  public CompletionStage<Void> release() {
    lost.cancel(false);
    CompletionStage<Void> let =
        letGo().handle((v, e) -> null); // not the holder any more: nothing to let go of
    if (!ownLease) {
      return let;
    }
    return let.thenCompose(v -> client.leases().revoke(lease)).thenApply(n -> null);
  }

  /** {@link #release()}, waiting. */
  @Override
  public void close() {
    CairnClient.await(release());
  }
}
