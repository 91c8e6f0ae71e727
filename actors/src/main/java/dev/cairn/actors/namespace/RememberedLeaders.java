package dev.cairn.actors.namespace;

import java.time.Duration;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.internal.EventSourcedRememberEntitiesProvider;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesProvider;

/**
 * Where the shards of namespace leaders remember their running leaders: Pekko's event-sourced
 * store, in the journal the leaders use, behind {@link RememberedLeadersStore}, which lets a shard
 * that has just started serve at once instead of after its remembered leaders are read back.
 *
 * <p>Selected by {@code pekko.cluster.sharding.remember-entities-store = custom} with {@code
 * remember-entities-custom-store} naming this class. That is Pekko's hook for a store of one's own
 * ({@code RememberEntitiesProvider}, an internal interface of Cluster Sharding, like the messages
 * the store answers): see {@code docs/ARCHITECTURE.md}, the decision of 2026-12-07 on remembered
 * leaders, for why it is used and what guards it. The shard coordinator's store of remembered
 * shards is Pekko's event-sourced one, unchanged.
 */
public final class RememberedLeaders implements RememberEntitiesProvider {
  /**
   * How long after a shard starts its remembered leaders are read back: after the recovery of the
   * leaders its first requests start (about 0.1 s from a replica; the read back would otherwise
   * share the journal with them), well before a lease's TTL runs out.
   */
  static final Duration READ_BACK_AFTER = Duration.ofSeconds(1);

  private final EventSourcedRememberEntitiesProvider journal;

  /** Called by Pekko (by reflection, with these parameter types) once per entity type. */
  public RememberedLeaders(ClusterShardingSettings settings, String typeName) {
    this.journal = new EventSourcedRememberEntitiesProvider(typeName, settings);
  }

  @Override
  public Props shardStoreProps(String shardId) {
    return RememberedLeadersStore.props(journal.shardStoreProps(shardId), READ_BACK_AFTER);
  }

  @Override
  public Props coordinatorStoreProps() {
    return journal.coordinatorStoreProps();
  }
}
