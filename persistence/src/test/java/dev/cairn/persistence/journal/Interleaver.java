package dev.cairn.persistence.journal;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;

/**
 * Test persistent actor: the events of a {@link Persist} are persisted with {@code persistAsync}
 * and each {@link Defer} goes through {@code deferAsync}, so some journal writes hold events and
 * others only deferred handlers. Pekko runs the handlers in the order they were registered,
 * matching each journal answer to the oldest handler still waiting: an answer out of order hands
 * one handler the other's payload. Each handler records what it was given; {@link Get} returns the
 * record once every handler ran.
 */
public final class Interleaver extends AbstractPersistentActor {

  /** Persists {@code count} events numbered from {@code first}, all in this one turn. */
  public record Persist(int first, int count) {}

  public record Defer(int n) {}

  public record Get() {}

  /** What the handlers were given, in the order they ran: "e7" to an event handler, "d8" ... */
  public record Handled(List<String> handled) {}

  private final String persistenceId;
  private final List<String> handled = new ArrayList<>();

  public static Props props(String persistenceId) {
    return Props.create(Interleaver.class, () -> new Interleaver(persistenceId));
  }

  private Interleaver(String persistenceId) {
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
            Persist.class,
            p -> {
              for (int i = 0; i < p.count(); i++) {
                persistAsync("e" + (p.first() + i), e -> handled.add("event handler got " + e));
              }
            })
        .match(
            Defer.class,
            d -> {
              deferAsync("d" + d.n(), e -> handled.add("deferred handler got " + e));
            })
        .match(
            Get.class,
            g -> {
              ActorRef to = getSender();
              deferAsync(
                  "get",
                  e -> {
                    to.tell(new Handled(List.copyOf(handled)), getSelf());
                    handled.clear();
                  });
            })
        .build();
  }
}
