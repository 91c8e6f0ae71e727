package dev.cairn.core.keyspace;

import dev.cairn.core.Rejection;
import java.util.List;

/** What {@link Keyspace#decide} concluded: events to persist and the reply, or a rejection. */
public sealed interface Decision {

  /**
   * @param events to persist atomically, in order; empty when the command changes nothing (a
   *     transaction whose chosen branch only reads)
   * @param reply to send once the events are durable
   */
  record Accepted(List<Event> events, Reply reply) implements Decision {
    public Accepted {
      events = List.copyOf(events);
    }
  }

  record Rejected(Rejection rejection) implements Decision {}
}
