package dev.cairn.actors.watch;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The node's watch hubs taken together: how many watches they deliver to. Every hub adds the
 * watches it registers and takes away those it drops (unregistered, subscriber gone, namespace
 * deleted, hub stopped), so the count returns to zero when no watch is open.
 */
public final class WatchHubs implements Extension {
  public static final Id ID = new Id();

  private final AtomicLong subscriptions = new AtomicLong();

  public static final class Id extends AbstractExtensionId<WatchHubs> {
    @Override
    public WatchHubs createExtension(ExtendedActorSystem system) {
      return new WatchHubs();
    }
  }

  public static WatchHubs get(ActorSystem system) {
    return ID.get(system);
  }

  /** Watches registered in this node's hubs right now. */
  public long subscriptions() {
    return subscriptions.get();
  }

  void add(long n) {
    subscriptions.addAndGet(n);
  }
}
