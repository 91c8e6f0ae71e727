package dev.cairn.actors.namespace;

import dev.cairn.core.keyspace.KeyspaceState;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The namespace leaders running on this node, so that requests can skip the shard region and the
 * shard (two mailbox hops) once a leader is up. A leader registers itself when recovered and
 * unregisters when it stops; anything not registered goes through Cluster Sharding as usual.
 *
 * <p>A leader also registers its state, so that range reads can be answered from its published
 * (durable) revision on the caller's thread without a message at all (see {@link KeyspaceState}).
 */
public final class LocalLeaders implements Extension {
  /**
   * A leader running on this node, the state it publishes durable revisions of, and the barrier
   * that confirms it is still the leader before a linearizable read.
   */
  record Leader(ActorRef ref, KeyspaceState state, ReadBarrier barrier) {}

  private final ConcurrentHashMap<String, Leader> leaders = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicLong starts = new AtomicLong();

  public static final Id ID = new Id();

  public static final class Id extends AbstractExtensionId<LocalLeaders> {
    @Override
    public LocalLeaders createExtension(ExtendedActorSystem system) {
      return new LocalLeaders();
    }
  }

  public static LocalLeaders get(ActorSystem system) {
    return ID.get(system);
  }

  /** The running leader of {@code namespace} on this node, or null. */
  ActorRef get(String namespace) {
    Leader l = leaders.get(namespace);
    return l == null ? null : l.ref();
  }

  /** The running leader of {@code namespace} on this node with its state, or null. */
  Leader leader(String namespace) {
    return leaders.get(namespace);
  }

  /** Leaders alive on this node, from their start (before recovery) to their stop. */
  int running() {
    return running.get();
  }

  /** Leaders started on this node since it started (each start is a recovery). */
  long starts() {
    return starts.get();
  }

  void started() {
    starts.incrementAndGet();
    running.incrementAndGet();
  }

  void stopped() {
    running.decrementAndGet();
  }

  void register(String namespace, ActorRef leader, KeyspaceState state, ReadBarrier barrier) {
    leaders.put(namespace, new Leader(leader, state, barrier));
  }

  void unregister(String namespace, ActorRef leader) {
    leaders.computeIfPresent(namespace, (n, l) -> l.ref().equals(leader) ? null : l);
  }
}
