package dev.cairn.actors.namespace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.concurrent.Future;

/**
 * Where namespace leaders run: never on the node that runs the shard coordinator (the oldest
 * member) while any other node can take them, and otherwise on the node with the fewest.
 *
 * <p>Why: the coordinator is a singleton on the oldest member. When a node that hosts both dies,
 * its leaders wait for the coordinator to move first — Pekko's new coordinator waits a fixed 500 ms
 * after it has read its state before it answers, on top of its own recovery — and only then are
 * they allocated elsewhere; a leader's node that does not run the coordinator is replaced by the
 * running coordinator at once. Kept apart, a crash or a leave costs either a leader move or a
 * coordinator move, never both in sequence; a coordinator move alone does not stop requests, since
 * every region keeps the homes of the shards it knows.
 *
 * <p>Rebalancing, one shard per round ({@code pekko.cluster.sharding.rebalance-interval}): a shard
 * on the coordinator's node moves away when another node is up (after the oldest member is lost,
 * the new oldest may hold leaders); otherwise a shard moves from the node with the most to the one
 * with the fewest when they differ by two or more. Nothing moves while a member is unreachable or
 * joining, or while a rebalance is in progress.
 *
 * <p>Runs inside the coordinator, so the region with a local address is the coordinator's own.
 */
final class LeaderPlacement extends ShardCoordinator.AbstractShardAllocationStrategy {

  /** One region as placement sees it. */
  record Region(ActorRef ref, Address address, boolean coordinators, boolean leaving, int shards) {}

  private final Cluster cluster;

  LeaderPlacement(ActorSystem system) {
    this.cluster = Cluster.get(system);
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester,
      String shardId,
      Map<ActorRef, scala.collection.immutable.IndexedSeq<String>> current) {
    List<Region> regions = regions(current);
    ActorRef chosen = allocate(regions).map(Region::ref).orElse(requester);
    return scala.concurrent.Future.successful(chosen);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, scala.collection.immutable.IndexedSeq<String>> current,
      Set<String> inProgress) {
    if (!inProgress.isEmpty() || !quiet()) {
      return scala.concurrent.Future.successful(Set.of());
    }
    List<Region> regions = regions(current);
    Optional<Region> from = rebalanceFrom(regions);
    if (from.isEmpty()) {
      return scala.concurrent.Future.successful(Set.of());
    }
    var shards = current.get(from.get().ref());
    Set<String> move = new HashSet<>();
    if (shards != null && !shards.isEmpty()) {
      move.add(shards.last()); // the one allocated last
    }
    return scala.concurrent.Future.successful(move);
  }

  /** The region a new shard goes to: not leaving, not the coordinator's if avoidable, fewest. */
  static Optional<Region> allocate(List<Region> regions) {
    return regions.stream().min(PREFERENCE);
  }

  /** The region one shard should leave this round, if any. */
  static Optional<Region> rebalanceFrom(List<Region> regions) {
    List<Region> staying = regions.stream().filter(r -> !r.leaving()).toList();
    List<Region> others = staying.stream().filter(r -> !r.coordinators()).toList();
    if (others.isEmpty()) {
      return Optional.empty();
    }
    Optional<Region> coordinators =
        staying.stream().filter(r -> r.coordinators() && r.shards() > 0).findFirst();
    if (coordinators.isPresent()) {
      return coordinators;
    }
    Region most = others.stream().max(BY_SHARDS).orElseThrow();
    Region fewest = others.stream().min(BY_SHARDS).orElseThrow();
    return most.shards() - fewest.shards() >= 2 ? Optional.of(most) : Optional.empty();
  }

  private static final Comparator<Region> BY_SHARDS =
      Comparator.comparingInt(Region::shards).thenComparing(r -> r.address().toString());

  private static final Comparator<Region> PREFERENCE =
      Comparator.comparing(Region::leaving)
          .thenComparing(Region::coordinators)
          .thenComparing(BY_SHARDS);

  private List<Region> regions(
      Map<ActorRef, scala.collection.immutable.IndexedSeq<String>> current) {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Address self = cluster.selfAddress();
    Map<Address, Member> members = new HashMap<>();
    state.getMembers().forEach(m -> members.put(m.address(), m));
    List<Region> out = new ArrayList<>();
    for (var e : current.entrySet()) {
      ActorRef ref = e.getKey();
      boolean local = ref.path().address().hasLocalScope();
      Address address = local ? self : ref.path().address();
      Member member = members.get(address);
      if (member == null) {
        continue; // not in this node's view yet
      }
      MemberStatus s = member.status();
      boolean leaving =
          s == MemberStatus.leaving() || s == MemberStatus.exiting() || s == MemberStatus.down();
      out.add(new Region(ref, address, local, leaving, e.getValue().size()));
    }
    return out;
  }

  /** Whether membership is settled: nobody unreachable or joining. */
  private boolean quiet() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    if (!state.getUnreachable().isEmpty()) {
      return false;
    }
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.joining() || m.status() == MemberStatus.weaklyUp()) {
        return false;
      }
    }
    return true;
  }
}
