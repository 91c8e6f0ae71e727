package dev.cairn.persistence.journal;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;

/**
 * Test persistent actor: persists one event per message so that every event is its own journal
 * write.
 */
final class Recorder extends AbstractPersistentActor {

  /** Persist {@code count} events one after the other, then reply {@code "done"}. */
  record Run(int count) {}

  /** Reply with {@link State}. */
  record Get() {}

  record State(long lastSequenceNr, List<String> events) {}

  private record Next() {}

  private final String persistenceId;
  private final List<String> events = new ArrayList<>();
  private int remaining;
  private ActorRef replyTo;

  static Props props(String persistenceId) {
    return Props.create(Recorder.class, () -> new Recorder(persistenceId));
  }

  private Recorder(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder().match(String.class, events::add).build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Run.class,
            r -> {
              remaining = r.count();
              replyTo = getSender();
              next();
            })
        .match(Next.class, n -> next())
        .match(
            Get.class,
            g -> getSender().tell(new State(lastSequenceNr(), List.copyOf(events)), getSelf()))
        .match(
            String.class,
            e -> {
              ActorRef sender = getSender();
              persist(
                  e,
                  stored -> {
                    events.add(stored);
                    sender.tell(lastSequenceNr(), getSelf());
                  });
            })
        .build();
  }

  private void next() {
    if (remaining == 0) {
      replyTo.tell("done", getSelf());
      return;
    }
    persist(
        persistenceId + "/" + (lastSequenceNr() + 1),
        stored -> {
          events.add(stored);
          remaining--;
          getSelf().tell(new Next(), getSelf());
        });
  }
}
