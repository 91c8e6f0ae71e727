package dev.cairn.actors.namespace;

import dev.cairn.persistence.codec.CairnSerializable;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;

/**
 * The durable list of namespace names, for listing only: whether a namespace exists is decided by
 * its own leader, so a name here is a hint, never an authority.
 */
public final class NamespaceRegistry extends AbstractPersistentActor {
  public sealed interface Request {}

  /** Records {@code name}; answered with {@link Done}. */
  public record Add(String name) implements Request {}

  /** Forgets {@code name}; answered with {@link Done}. */
  public record Remove(String name) implements Request {}

  /** Answered with {@link Names}. */
  public record List_() implements Request {}

  public record Done() {}

  public record Names(List<String> names) {}

  /** Persisted. */
  public record Added(String name) implements CairnSerializable {}

  /** Persisted. */
  public record Removed(String name) implements CairnSerializable {}

  private final TreeSet<String> names = new TreeSet<>();

  public static Props props() {
    return Props.create(NamespaceRegistry.class, NamespaceRegistry::new);
  }

  private NamespaceRegistry() {
    names.add(Namespaces.DEFAULT);
  }

  @Override
  public String persistenceId() {
    return "namespaces";
  }

  @Override
  public String journalPluginId() {
    // Called from the superclass constructor, before this class's fields are set.
    return NamespaceSettings.journalPluginId(getContext().getSystem().settings().config());
  }

  @Override
  public String snapshotPluginId() {
    return NamespaceSettings.snapshotPluginId(getContext().getSystem().settings().config());
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(Added.class, a -> names.add(a.name()))
        .match(Removed.class, r -> names.remove(r.name()))
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Add.class,
            a -> {
              if (names.contains(a.name())) {
                getSender().tell(new Done(), getSelf());
              } else {
                persist(
                    new Added(a.name()),
                    e -> {
                      names.add(e.name());
                      getSender().tell(new Done(), getSelf());
                    });
              }
            })
        .match(
            Remove.class,
            r -> {
              if (!names.contains(r.name())) {
                getSender().tell(new Done(), getSelf());
              } else {
                persist(
                    new Removed(r.name()),
                    e -> {
                      names.remove(e.name());
                      getSender().tell(new Done(), getSelf());
                    });
              }
            })
        .match(List_.class, l -> getSender().tell(new Names(List.copyOf(names)), getSelf()))
        .build();
  }
}
