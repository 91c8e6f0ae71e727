package dev.cairn.actors.namespace;

import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.InvalidActorNameException;
import org.apache.pekko.actor.Props;

/**
 * Answers a request to a namespace leader that was never delivered with {@link
 * NamespaceLeader.NotExecuted}, at once, instead of leaving its asker to its timeout (5 s by
 * default).
 *
 * <p>Undelivered means: sent to a leader that had stopped (a hand-off, a failover, a passivation),
 * or dropped by a shard region — Pekko's region drops the messages it buffered for a shard when it
 * hands the shard off, so as not to reorder them. Both reach the dead letters, and such a request
 * was not executed, so {@link Namespaces} sends it again, and the retry reaches the namespace's
 * next leader. Only {@link NamespaceLeader.Ask asks} are answered (one reply each); a watch or
 * replication request is left to its own retry.
 */
final class UndeliveredAsks extends AbstractActor {

  static final String DETAIL =
      "the namespace's leader moved or stopped before this request reached it (a hand-off or a"
          + " failover)";

  /** Starts the responder and subscribes it to {@code system}'s dead letters. */
  static void start(ActorSystem system) {
    ActorRef ref;
    try {
      ref = system.actorOf(Props.create(UndeliveredAsks.class), "undelivered-asks");
    } catch (InvalidActorNameException alreadyRunning) {
      return; // namespaces started twice in one actor system (tests): one responder is enough
    }
    system.getEventStream().subscribe(ref, DeadLetter.class);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder().match(DeadLetter.class, this::undelivered).build();
  }

  private void undelivered(DeadLetter letter) {
    Object message = letter.message();
    ActorRef asker = letter.sender();
    if (message instanceof Dropped d) {
      message = d.message();
      asker = d.sender();
    }
    if (message instanceof Namespaces.Envelope e) {
      message = e.request();
    }
    if (message instanceof NamespaceLeader.Ask<?>
        && asker != null
        && !asker.equals(ActorRef.noSender())
        && !asker.equals(getContext().getSystem().deadLetters())) {
      asker.tell(new NamespaceLeader.NotExecuted(DETAIL), ActorRef.noSender());
    }
  }
}
