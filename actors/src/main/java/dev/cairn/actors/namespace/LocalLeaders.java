package dev.cairn.actors.namespace;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The namespace leaders running on this node, so that requests can skip the shard region and the
 * shard (two mailbox hops) once a leader is up. A leader registers itself when recovered and
 * unregisters when it stops; anything not registered goes through Cluster Sharding as usual.
 */
public final class LocalLeaders implements Extension {
  private final ConcurrentHashMap<String, ActorRef> leaders = new ConcurrentHashMap<>();

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
    return leaders.get(namespace);
  }

  void register(String namespace, ActorRef leader) {
    leaders.put(namespace, leader);
  }

  void unregister(String namespace, ActorRef leader) {
    leaders.remove(namespace, leader);
  }
}
