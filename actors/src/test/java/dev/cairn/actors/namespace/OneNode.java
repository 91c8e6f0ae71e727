package dev.cairn.actors.namespace;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;

/** Test help: namespaces under Cluster Sharding on a cluster of one node, as in the server. */
final class OneNode {
  private OneNode() {}

  /** Joins {@code system} (cluster provider) to itself, awaits it up, and starts namespaces. */
  static Namespaces namespaces(ActorSystem system, Duration timeout) throws Exception {
    Cluster cluster = Cluster.get(system);
    CompletableFuture<Void> up = new CompletableFuture<>();
    cluster.registerOnMemberUp(() -> up.complete(null));
    cluster.join(cluster.selfAddress());
    up.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return Namespaces.start(system);
  }
}
