package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.recipes.lock.Lock;
import java.util.concurrent.CompletionStage;

/**
 * A lock held by this client, with the lease it holds it by (kept alive by the client). Its {@link
 * #fencingToken()} increases with every grant of the lock: hand it to the resource you protect, or
 * write through {@link #fencedPut}, which the store refuses ({@code fenced}) once the lock has
 * passed on. If the lease is lost, the lock is lost with it: {@link #lost()} completes
 * exceptionally with {@link LeaseLostException}. {@link #close()} releases the lock and revokes the
 * lease.
 */
public final class HeldLock extends LeaseBound {
  private final Lock.Grant grant;

  HeldLock(CairnClient client, Lock.Grant grant, boolean ownLease) {
    super(client, grant.lease(), ownLease);
    this.grant = grant;
  }

  /** The lock's name. */
  public String name() {
    return grant.name();
  }

  /** The fencing token of this grant: the create revision of the holder's key. */
  public long fencingToken() {
    return grant.fencingToken();
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

  @Override
  CompletionStage<?> letGo() {
    return new Lock(client.keyspace()).release(grant);
  }
}
