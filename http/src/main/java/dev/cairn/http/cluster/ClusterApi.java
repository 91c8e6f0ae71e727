package dev.cairn.http.cluster;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.http.Responses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.pattern.Patterns;

/**
 * {@code GET /v1/cluster}: this node's view of the cluster — its members with status, roles and
 * reachability, which member holds each namespace's leader, the journal, and how many shards and
 * leaders each member holds.
 */
public final class ClusterApi {
  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(3);

  private final ActorSystem system;
  private final ClusterSettings settings;
  private final Namespaces namespaces;
  private final int shards;

  /** A member as this node sees it. */
  public record ClusterMember(
      String address, String status, List<String> roles, boolean reachable) {}

  /**
   * The answer.
   *
   * @param self this node's cluster address
   * @param members every member this node knows of, by address
   * @param leaders for each namespace, the member holding its shard (where its leader runs, or
   *     would start on its next request); namespaces whose shard no member holds yet are absent
   * @param journal {@code embedded} or {@code cassandra}
   * @param unreachable members this node's failure detector cannot reach
   * @param shards per member, how many namespace shards it holds
   * @param leadersRunning per member, how many namespace leaders run there
   * @param clusterLeader the member Pekko Cluster has made leader (it moves members to Up and
   *     removes downed ones), or null
   */
  public record ClusterResponse(
      String self,
      List<ClusterMember> members,
      Map<String, String> leaders,
      String journal,
      List<String> unreachable,
      Map<String, Integer> shards,
      Map<String, Integer> leadersRunning,
      String clusterLeader) {}

  public ClusterApi(ActorSystem system, ClusterSettings settings, Namespaces namespaces) {
    this.system = system;
    this.settings = settings;
    this.namespaces = namespaces;
    this.shards = system.settings().config().getInt("cairn.namespace.shards");
  }

  /** The shard of namespace {@code name}, as Cluster Sharding's hash-code extractor computes it. */
  static String shardOf(String name, int shards) {
    return Integer.toString(Math.abs(name.hashCode() % shards));
  }

  public CompletionStage<HttpResponse> get() {
    Cluster cluster = Cluster.get(system);
    var state = cluster.state();
    Set<Member> unreachableMembers = state.getUnreachable();
    List<ClusterMember> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      members.add(
          new ClusterMember(
              m.address().toString(),
              m.status().toString().toLowerCase(java.util.Locale.ROOT),
              List.copyOf(new java.util.TreeSet<>(m.getRoles())),
              !unreachableMembers.contains(m)));
    }
    List<String> unreachable =
        unreachableMembers.stream().map(m -> m.address().toString()).sorted().toList();
    String self = cluster.selfAddress().toString();
    String clusterLeader = state.getLeader() == null ? null : state.getLeader().toString();
    ActorRef region = ClusterSharding.get(system).shardRegion(Namespaces.SHARD_TYPE);
    CompletionStage<ShardRegion.ClusterShardingStats> stats =
        Patterns.ask(
                region,
                new ShardRegion.GetClusterShardingStats(
                    scala.concurrent.duration.FiniteDuration.fromNanos(STATS_TIMEOUT.toNanos())),
                STATS_TIMEOUT.plusSeconds(1))
            .thenApply(ShardRegion.ClusterShardingStats.class::cast);
    CompletionStage<List<String>> names =
        namespaces.list().exceptionally(e -> List.of(Namespaces.DEFAULT));
    return stats
        .exceptionally(e -> null)
        .thenCombine(
            names,
            (st, ns) -> {
              Map<String, String> shardHolder = new TreeMap<>();
              Map<String, Integer> shardCounts = new TreeMap<>();
              Map<String, Integer> running = new TreeMap<>();
              if (st != null) {
                for (Map.Entry<Address, ShardRegion.ShardRegionStats> e :
                    st.getRegions().entrySet()) {
                  String address = e.getKey().toString();
                  Map<String, Object> perShard = e.getValue().getStats();
                  shardCounts.put(address, perShard.size());
                  int entities = 0;
                  for (Map.Entry<String, Object> s : perShard.entrySet()) {
                    shardHolder.put(s.getKey(), address);
                    entities += ((Number) s.getValue()).intValue();
                  }
                  running.put(address, entities);
                }
              }
              Map<String, String> leaders = new TreeMap<>();
              for (String n : ns) {
                String holder = shardHolder.get(shardOf(n, shards));
                if (holder != null) {
                  leaders.put(n, holder);
                }
              }
              return Responses.json(
                  200,
                  new ClusterResponse(
                      self,
                      members,
                      leaders,
                      settings.journal().wire(),
                      unreachable,
                      shardCounts,
                      running,
                      clusterLeader),
                  -1);
            });
  }
}
