package dev.cairn.actors.namespace;

import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Tells {@link Namespaces} when a member is downed or removed, so that the asks in flight to the
 * leaders it ran are answered at once (see {@link Namespaces#leaderNodeLost}). A member is downed
 * as soon as its process is known gone (its cluster port refuses) or the split-brain resolver
 * judges it dead; an unreachable member that may come back is not reason enough. Its removal
 * follows (0.1-0.2 s later) and answers the asks sent to it in between: until then the regions
 * still send to the downed node, and what goes there is lost without a word. Whether such an ask
 * was executed is not known in general (a downed node that still runs may commit until its
 * successor writes), so a write among them is answered as of unknown outcome too.
 *
 * <p>A member that left gracefully (removed after {@code Exiting}) is not lost: it handed its
 * shards off before it left, so an ask to a leader it ran was answered by that leader, is buffered
 * by the regions for the next one, or was refused as not executed and is sent again. Answering
 * those writes "outcome unknown" when it is removed, a moment before the next leader would have
 * answered them, turned every graceful leave into failed writes.
 */
final class LostMembers extends AbstractActor {
  private final Namespaces namespaces;

  private LostMembers(Namespaces namespaces) {
    this.namespaces = namespaces;
  }

  static void start(ActorSystem system, Namespaces namespaces) {
    ActorRef ref =
        system.actorOf(Props.create(LostMembers.class, () -> new LostMembers(namespaces)));
    Cluster.get(system)
        .subscribe(ref, ClusterEvent.MemberDowned.class, ClusterEvent.MemberRemoved.class);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            ClusterEvent.MemberDowned.class, d -> namespaces.leaderNodeLost(d.member().address()))
        .match(
            ClusterEvent.MemberRemoved.class,
            r -> {
              if (lost(r)) {
                namespaces.leaderNodeLost(r.member().address());
              }
            })
        .matchAny(other -> {}) // the membership as it was when subscribing
        .build();
  }

  /** Whether a removed member was lost (downed first), not gone after a graceful leave. */
  static boolean lost(ClusterEvent.MemberRemoved removed) {
    return !removed.previousStatus().equals(MemberStatus.exiting());
  }
}
