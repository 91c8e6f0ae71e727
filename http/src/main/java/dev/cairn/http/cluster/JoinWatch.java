package dev.cairn.http.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, in the node's log, whether it has joined its cluster: a WARN every {@link #EVERY} while no
 * seed has let it in (a seed that never answers is otherwise silent for a long time: Pekko's own
 * line comes after five seed-node timeouts, and its cluster logging is at WARN), and an INFO line
 * once it is Up. Once Up, it records the membership ({@link ClusterSettings#recordMembership}).
 *
 * <p>A {@link ClusterSettings#rejoining() rejoining} first seed asks the other seeds' {@link
 * SeedProbe} every {@link #PROBE_EVERY} whether they are members: while one is, a cluster runs and
 * Pekko's seed-node process will get this node in (once the cluster has removed its previous
 * incarnation); when a majority of the seeds, itself included, answer and none is a member, the
 * whole cluster is restarting and this node forms it. While fewer answer it waits: peers that do
 * not answer may be a running cluster under load, and a cluster formed beside theirs would run a
 * second leader of every namespace.
 */
public final class JoinWatch {
  private static final Logger log = LoggerFactory.getLogger(JoinWatch.class);

  /** How often the node repeats that it has not joined yet. */
  static final Duration EVERY = Duration.ofSeconds(5);

  /** How often a rejoining first seed asks the other seeds whether they are members. */
  static final Duration PROBE_EVERY = Duration.ofSeconds(1);

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
                  if (!cluster.selfMember().status().equals(MemberStatus.up())) {
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
    system.actorOf(SeedProbe.props(), SeedProbe.NAME);
    Cancellable forming = settings.rejoining() ? rejoin(system, settings) : null;
    cluster.registerOnMemberUp(
        () -> {
          warnings.cancel();
          if (forming != null) {
            forming.cancel();
          }
          log.info(
              "joined the cluster as {} ({} members up)",
              cluster.selfAddress(),
              cluster.state().members().size());
          try {
            settings.recordMembership();
          } catch (IOException e) {
            log.warn(
                "could not record the membership in {} ({}): after a restart this node, the first"
                    + " seed, may form a cluster of its own if the others answer late",
                settings.memberFile(),
                e.toString());
          }
        });
    cluster.registerOnMemberRemoved(
        () -> {
          warnings.cancel();
          if (forming != null) {
            forming.cancel();
          }
        });
  }

  /**
   * Asks the other seeds every {@link #PROBE_EVERY} whether they are members, and forms a cluster
   * of this node alone once a majority of the seeds (this one included) answer and none is.
   */
  private static Cancellable rejoin(ActorSystem system, ClusterSettings settings) {
    Cluster cluster = Cluster.get(system);
    List<String> others = settings.otherSeeds();
    int majority = settings.seeds().size() / 2 + 1;
    AtomicBoolean asking = new AtomicBoolean();
    AtomicBoolean runningSaid = new AtomicBoolean();
    log.info(
        "this node has been a cluster member ({} exists): joining the other seeds {}; it forms a"
            + " cluster of its own only once {} of the {} seeds answer and none is a member",
        settings.memberFile(),
        others,
        majority,
        settings.seeds().size());
    Cancellable[] self = new Cancellable[1];
    self[0] =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                PROBE_EVERY,
                PROBE_EVERY,
                () -> {
                  if (!cluster.selfMember().status().equals(MemberStatus.removed())) {
                    self[0].cancel(); // joining or joined
                    return;
                  }
                  if (!asking.compareAndSet(false, true)) {
                    return;
                  }
                  List<CompletableFuture<Object>> answers = new ArrayList<>();
                  for (String seed : others) {
                    answers.add(
                        Patterns.ask(
                                system.actorSelection(
                                    ClusterSettings.address(seed) + "/user/" + SeedProbe.NAME),
                                new SeedProbe.Query(),
                                PROBE_EVERY)
                            .toCompletableFuture()
                            .exceptionally(e -> null));
                  }
                  CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                      .whenComplete(
                          (done, e) -> {
                            asking.set(false);
                            int answered = 1; // this node
                            List<String> members = new ArrayList<>();
                            for (int i = 0; i < others.size(); i++) {
                              Object a = answers.get(i).join();
                              if (a instanceof SeedProbe.Answer answer) {
                                answered++;
                                if (answer.member()) {
                                  members.add(others.get(i));
                                }
                              }
                            }
                            if (!members.isEmpty()) {
                              if (runningSaid.compareAndSet(false, true)) {
                                log.info(
                                    "the cluster runs ({} a member): waiting to be let in",
                                    members);
                              }
                            } else if (answered >= majority
                                && cluster.selfMember().status().equals(MemberStatus.removed())) {
                              self[0].cancel();
                              log.warn(
                                  "{} of the {} seeds answer and none is a member of a cluster:"
                                      + " forming a new cluster, as after a restart of every node",
                                  answered,
                                  settings.seeds().size());
                              cluster.join(cluster.selfAddress());
                            }
                          });
                },
                system.dispatcher());
    return self[0];
  }
}
