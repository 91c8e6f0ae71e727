package dev.cairn.persistence.journal;

import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;

/**
 * Test persistent actor: persists a burst of events with {@code persistAsync} in one turn, so they
 * reach the journal as separate atomic writes of one call, and reports each outcome ({@code
 * "stored:<seqNr>"} or {@code "rejected:<seqNr>"}) to whoever sent the burst.
 */
public final class Burster extends AbstractPersistentActor {

  /** Persist every element of {@code events}, each its own atomic write. */
  public record Burst(List<Object> events) {}

  private final String persistenceId;
  private ActorRef replyTo = ActorRef.noSender();

  public static Props props(String persistenceId) {
    return Props.create(Burster.class, () -> new Burster(persistenceId));
  }

  private Burster(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder().matchAny(e -> {}).build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Burst.class,
            b -> {
              replyTo = getSender();
              for (Object e : b.events()) {
                persistAsync(e, stored -> replyTo.tell("stored:" + lastSequenceNr(), getSelf()));
              }
            })
        .build();
  }

  @Override
  public void onPersistRejected(Throwable cause, Object event, long seqNr) {
    replyTo.tell("rejected:" + seqNr, getSelf());
  }
}
