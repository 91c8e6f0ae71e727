package dev.cairn.actors.namespace;

import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.internal.EventSourcedRememberEntitiesProvider;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesProvider;

/**
 * Which leaders a shard of namespace leaders starts wherever it goes: every namespace the {@link
 * NamespaceRegistry} lists that falls in the shard, asked of the registry as the shard starts (see
 * {@link RegisteredLeadersStore}), instead of a set of running leaders written to the journal and
 * read back from it before the shard serves.
 *
 * <p>Selected by {@code pekko.cluster.sharding.remember-entities-store = custom} with {@code
 * remember-entities-custom-store} naming this class. That is Pekko's hook for a store of one's own
 * ({@code RememberEntitiesProvider}, an internal interface of Cluster Sharding, like the messages
 * the store answers): see {@code docs/ARCHITECTURE.md}, the decision of 2026-12-07 on registered
 * leaders, for why and what guards it. The shard coordinator remembers its shards in Pekko's
 * event-sourced store, so that a shard whose node is lost is allocated again at once, behind {@link
 * RememberedShardsStore}, which writes a shard only the first time.
 */
public final class RegisteredLeaders implements RememberEntitiesProvider {
  private final EventSourcedRememberEntitiesProvider journal;

  /** Called by Pekko (by reflection, with these parameter types) once per entity type. */
  public RegisteredLeaders(ClusterShardingSettings settings, String typeName) {
    this.journal = new EventSourcedRememberEntitiesProvider(typeName, settings);
  }

  @Override
  public Props shardStoreProps(String shardId) {
    return RegisteredLeadersStore.props(shardId);
  }

  @Override
  public Props coordinatorStoreProps() {
    return RememberedShardsStore.props(journal.coordinatorStoreProps());
  }
}
