package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.recipes.lock.Lock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A lock held by this client, with the lease it holds it by (kept alive by the client). Its {@link
 * #fencingToken()} increases with every grant of the lock: hand it to the resource you protect, or
 * write through {@link #fencedPut}, which the store refuses ({@code fenced}) once the lock has
 * passed on. If the lease is lost, the lock is lost with it: {@link #lost()} completes
 * exceptionally with {@link LeaseLostException}. {@link #close()} releases the lock and revokes the
 * lease.
 */
public final class HeldLock implements AutoCloseable {
  private final CairnClient client;
  private final Lock.Grant grant;
  private final boolean ownLease;
  private final CompletableFuture<Void> lost = new CompletableFuture<>();

  HeldLock(CairnClient client, Lock.Grant grant, boolean ownLease) {
    this.client = client;
    this.grant = grant;
    this.ownLease = ownLease;
  }

  /** The lock's name. */
  public String name() {
    return grant.name();
  }

  /** The fencing token of this grant: the create revision of the holder's key. */
  public long fencingToken() {
    return grant.fencingToken();
  }

  /** The lease the lock is held by. */
  public long lease() {
    return grant.lease();
  }

  /** The holder's key in the lock's queue. */
  public String key() {
    return grant.key();
  }

  /**
   * Sets {@code key} to {@code value} only while this grant still holds the lock, atomically with
   * that check; fails with a {@link ProblemException} of code {@code fenced} when it no longer
   * does.
   */
  public CompletionStage<Reply.PutReply> fencedPut(String key, Bytes value) {
    return client
        .kv()
        .txn()
        .fence(name(), fencingToken())
        .thenPut(key, value)
        .commit()
        .thenApply(r -> (Reply.PutReply) r.responses().get(0));
  }

  /**
   * Never completes normally: completes exceptionally with {@link LeaseLostException} when the
   * lease the lock was held by is lost (the lock is then gone).
   */
  public CompletionStage<Void> lost() {
    return lost;
  }

  /** False once the lease was lost or the lock released. */
  public boolean isHeld() {
    return !lost.isDone();
  }

  void leaseLost(LeaseLostException e) {
    lost.completeExceptionally(e);
  }

  /** Releases the lock, then revokes its lease if the client granted it for this lock. */
  public CompletionStage<Void> release() {
    lost.cancel(false);
    CompletionStage<Void> released =
        new Lock(client.keyspace())
            .release(name(), fencingToken())
            .exceptionally(e -> null); // not the holder any more: nothing to release
    if (!ownLease) {
      return released;
    }
    return released.thenCompose(v -> client.leases().revoke(lease())).thenApply(n -> null);
  }

  /** {@link #release()}, waiting. */
  @Override
  public void close() {
    CairnClient.await(release());
  }
}
