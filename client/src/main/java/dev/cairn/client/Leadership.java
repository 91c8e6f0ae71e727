package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.recipes.election.Election;
import java.util.concurrent.CompletionStage;

/**
 * This client's leadership of an election, held by a lease the client keeps alive. {@link
 * #fencingToken()} increases with every change of leader. If the lease is lost, so is the
 * leadership: {@link #lost()} completes exceptionally with {@link LeaseLostException}. {@link
 * #close()} resigns and revokes the lease.
 */
public final class Leadership extends LeaseBound {
  private volatile Election.Leader leader;

  Leadership(CairnClient client, Election.Leader leader, boolean ownLease) {
    super(client, leader.lease(), ownLease);
    this.leader = leader;
  }

  /** The election's name. */
  public String name() {
    return leader.name();
  }

  /** The leader's fencing token: the create revision of its candidate key. */
  public long fencingToken() {
    return leader.fencingToken();
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

  /** False once the lease was lost or the leadership resigned. */
  public boolean isLeader() {
    return isHeld();
  }

  /** Resigns, then revokes the lease if the client granted it for this campaign. */
  public CompletionStage<Void> resign() {
    return release();
  }

  @Override
  CompletionStage<?> letGo() {
    return new Election(client.keyspace()).resign(name(), fencingToken());
  }
}
