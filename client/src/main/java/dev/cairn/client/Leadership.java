package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.recipes.election.Election;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * This client's leadership of an election, held by a lease the client keeps alive. {@link
 * #fencingToken()} increases with every change of leader. If the lease is lost, so is the
 * leadership: {@link #lost()} completes exceptionally with {@link LeaseLostException}. {@link
 * #close()} resigns and revokes the lease.
 */
public final class Leadership implements AutoCloseable {
  private final CairnClient client;
  private volatile Election.Leader leader;
  private final boolean ownLease;
  private final CompletableFuture<Void> lost = new CompletableFuture<>();

  Leadership(CairnClient client, Election.Leader leader, boolean ownLease) {
    this.client = client;
    this.leader = leader;
    this.ownLease = ownLease;
  }

  /** The election's name. */
  public String name() {
    return leader.name();
  }

  /** The leader's fencing token: the create revision of its candidate key. */
  public long fencingToken() {
    return leader.fencingToken();
  }

  /** The lease the leadership is held by. */
  public long lease() {
    return leader.lease();
  }

  /** The value the leader announces now. */
  public Bytes value() {
    return leader.value();
  }

  /**
   * Announces {@code value} as the leader's; fails with {@code leadership_lost} when this client no
   * longer leads.
   */
  public CompletionStage<Election.Leader> proclaim(Bytes value) {
    return new Election(client.keyspace())
        .proclaim(name(), fencingToken(), value)
        .thenApply(
            l -> {
              leader = l;
              return l;
            });
  }

  /**
   * Sets {@code key} to {@code value} only while this client still leads with this token,
   * atomically with that check; fails with a {@link ProblemException} of code {@code fenced} once
   * it does not.
   */
  public CompletionStage<dev.cairn.core.keyspace.Reply.PutReply> fencedPut(
      String key, Bytes value) {
    return client
        .kv()
        .txn()
        .fenceElection(name(), fencingToken())
        .thenPut(key, value)
        .commit()
        .thenApply(r -> (dev.cairn.core.keyspace.Reply.PutReply) r.responses().get(0));
  }

  /** Completes exceptionally with {@link LeaseLostException} when the lease is lost. */
  public CompletionStage<Void> lost() {
    return lost;
  }

  /** False once the lease was lost or the leadership resigned. */
  public boolean isLeader() {
    return !lost.isDone();
  }

  void leaseLost(LeaseLostException e) {
    lost.completeExceptionally(e);
  }

  /** Resigns, then revokes the lease if the client granted it for this campaign. */
  public CompletionStage<Void> resign() {
    lost.cancel(false);
    CompletionStage<Void> resigned =
        new Election(client.keyspace()).resign(name(), fencingToken()).exceptionally(e -> null);
    if (!ownLease) {
      return resigned;
    }
    return resigned.thenCompose(v -> client.leases().revoke(lease())).thenApply(n -> null);
  }

  /** {@link #resign()}, waiting. */
  @Override
  public void close() {
    CairnClient.await(resign());
  }
}
