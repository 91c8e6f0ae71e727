package dev.cairn.http.cluster;

import dev.cairn.persistence.codec.CairnSerializable;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Answers another node's question "are you a member of a running cluster?". Every node with seeds
 * runs one, at {@code /user/}{@value #NAME}; a rejoining first seed asks the other seeds before it
 * forms a cluster of its own (see {@link JoinWatch}). Pekko's own answer to a joining node, an
 * {@code InitJoinAck}, is internal to its seed-node process and never reaches Cairn.
 */
public final class SeedProbe extends AbstractActor {
  /** The actor's name under {@code /user}. */
  public static final String NAME = "cairn-seed-probe";

  /** The question; answered with an {@link Answer}. */
  public record Query() implements CairnSerializable {}

  /**
   * The answer.
   *
   * @param member this node is an Up (or weakly Up) member of a cluster, or leaving one
   */
  public record Answer(boolean member) implements CairnSerializable {}

  static Props props() {
    return Props.create(SeedProbe.class, SeedProbe::new);
  }

  private SeedProbe() {}

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Query.class,
            q -> {
              MemberStatus s = Cluster.get(getContext().getSystem()).selfMember().status();
              boolean member =
                  s.equals(MemberStatus.up())
                      || s.equals(MemberStatus.weaklyUp())
                      || s.equals(MemberStatus.leaving());
              getSender().tell(new Answer(member), getSelf());
            })
        .build();
  }
}
