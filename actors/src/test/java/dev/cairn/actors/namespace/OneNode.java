package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;

/** Test help: namespaces under Cluster Sharding on a cluster of one node, as in the server. */
public final class OneNode {
  private OneNode() {}

  /**
   * The configuration of a one-node cluster with in-memory persistence, as these tests run it:
   * {@code extra} first (it wins), then Pekko's cluster provider on an ephemeral loopback port,
   * sharding passivating nothing on its own (as in the server), the in-memory journal and a local
   * snapshot directory of its own, then the defaults.
   */
  public static Config config(String extra) {
    return ConfigFactory.parseString(
            extra
                + "\npekko.loglevel = WARNING\n"
                + "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.cluster.sharding.passivation.strategy = none\n"
                + "pekko.cluster.jmx.enabled = off\n"
                + "pekko.cluster.log-info = off\n"
                + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                + "pekko.persistence.snapshot-store.plugin ="
                + " \"pekko.persistence.snapshot-store.local\"\n"
                + "pekko.persistence.snapshot-store.local.dir = \"target/snapshots-"
                + System.nanoTime()
                + "\"\n")
        .withFallback(ConfigFactory.load());
  }

  /** Joins {@code system} (cluster provider) to itself and awaits it up. */
  public static void join(ActorSystem system, Duration timeout) throws Exception {
    Cluster cluster = Cluster.get(system);
    CompletableFuture<Void> up = new CompletableFuture<>();
    cluster.registerOnMemberUp(() -> up.complete(null));
    cluster.join(cluster.selfAddress());
    up.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Joins {@code system} to itself ({@link #join}) and starts namespaces. */
  static Namespaces namespaces(ActorSystem system, Duration timeout) throws Exception {
    join(system, timeout);
    return Namespaces.start(system);
  }
}
