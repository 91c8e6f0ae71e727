package dev.cairn.http.cluster;

import java.time.Duration;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.cluster.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, in the node's log, whether it has joined its cluster: a WARN every {@link #EVERY} while no
 * seed has let it in (a seed that never answers is otherwise silent for a long time: Pekko's own
 * line comes after five seed-node timeouts, and its cluster logging is at WARN), and an INFO line
 * once it is Up.
 */
public final class JoinWatch {
  private static final Logger log = LoggerFactory.getLogger(JoinWatch.class);

  /** How often the node repeats that it has not joined yet. */
  static final Duration EVERY = Duration.ofSeconds(5);

  private JoinWatch() {}

  /** Starts watching {@code system}'s cluster membership. */
  public static void start(ActorSystem system, ClusterSettings settings) {
    Cluster cluster = Cluster.get(system);
    long started = System.nanoTime();
    Cancellable warnings =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                EVERY,
                EVERY,
                () -> {
                  if (!cluster
                      .selfMember()
                      .status()
                      .equals(org.apache.pekko.cluster.MemberStatus.up())) {
                    log.warn(
                        "not yet a cluster member after {} s: no seed of {} has let this node"
                            + " ({}) join; still trying. Check --seed and that a seed node runs"
                            + " and can reach this node's cluster port. /ready answers 503 until"
                            + " then.",
                        Duration.ofNanos(System.nanoTime() - started).toSeconds(),
                        settings.seeds(),
                        cluster.selfAddress());
                  }
                },
                system.dispatcher());
    cluster.registerOnMemberUp(
        () -> {
          warnings.cancel();
          log.info(
              "joined the cluster as {} ({} members up)",
              cluster.selfAddress(),
              cluster.state().members().size());
        });
    cluster.registerOnMemberRemoved(warnings::cancel);
  }
}
