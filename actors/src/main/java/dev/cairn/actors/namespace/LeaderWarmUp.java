package dev.cairn.actors.namespace;

import dev.cairn.core.keyspace.Read;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.pattern.Patterns;

/**
 * Runs one namespace leader through its recovery and a read on a node that has just started, then
 * stops it, so that the first leader this node takes over (a failover, a hand-off: in a rolling
 * restart, the node restarted last is usually the successor) does not also load and first run the
 * code of a leader's start: the leader's classes, Pekko Persistence's recovery, the journal's and
 * snapshot store's first reads. Measured on a loaded two-core machine, each step of a successor's
 * first recovery then waited 30–80 ms.
 *
 * <p>The leader is a child of this actor, not a sharded entity, under {@link #NAME}: no client can
 * name that namespace (names start with a letter or a digit), and nothing is written (the namespace
 * does not exist, and a read of a namespace that does not exist is answered without a write).
 */
final class LeaderWarmUp extends AbstractActor {
  /** The warm-up leader's namespace: never a valid client namespace. */
  static final String NAME = "_warmup";

  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private static final String ACTOR = "leader-warm-up";

  private final NamespaceSettings settings;
  private final long started = System.nanoTime();

  private LeaderWarmUp(NamespaceSettings settings) {
    this.settings = settings;
  }

  /** Starts the warm-up; the actor returned stops once it is done. */
  static ActorRef start(ActorSystem system, NamespaceSettings settings) {
    return system.actorOf(
        Props.create(LeaderWarmUp.class, () -> new LeaderWarmUp(settings)), ACTOR);
  }

  @Override
  public void preStart() {
    ActorRef leader = getContext().actorOf(NamespaceLeader.props(settings), NAME);
    getContext().watch(leader);
    Patterns.pipe(
            Patterns.ask(
                leader,
                new NamespaceLeader.Query(Read.Range.key("warm-up")),
                settings.askTimeout()),
            getContext().getDispatcher())
        .to(getSelf());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Terminated.class, t -> done("its leader stopped"))
        .matchAny(answer -> done("answered"))
        .build();
  }

  private void done(String how) {
    log.debug(
        "a leader's start run once in {} ms ({})", (System.nanoTime() - started) / 1_000_000, how);
    getContext().stop(getSelf());
  }
}
