package dev.cairn.actors.namespace;

import dev.cairn.persistence.codec.CairnSerializable;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * The durable list of namespace names. A namespace exists when it is listed here <em>and</em> its
 * leader's state says so: a name missing here is answered "not found" without starting a leader
 * (see {@link KnownNamespaces}); a name listed here is still confirmed by its leader, which alone
 * knows whether a delete has begun.
 *
 * <p>A create is written by the leader first and listed here second, and acknowledged after both; a
 * delete is written by the leader first and unlisted second. So a create interrupted between the
 * two is not visible (a retry finds the leader's "exists" and lists it), and a delete interrupted
 * between the two is answered "not found" by the leader.
 */
public final class NamespaceRegistry extends AbstractPersistentActor {
  /** What the registry understands; each answered with one {@link RegistryReply}. */
  public sealed interface Request extends CairnSerializable permits Add, Remove, ListNames {}

  /** Records {@code name}; answered with {@link Done}. */
  public record Add(String name) implements Request {}

  /** Forgets {@code name}; answered with {@link Done}. */
  public record Remove(String name) implements Request {}

  /** Answered with {@link Names}. */
  public record ListNames() implements Request {}

  /** The registry's answers. */
  public sealed interface RegistryReply extends CairnSerializable permits Done, Names {}

  public record Done() implements RegistryReply {}

  public record Names(List<String> names) implements RegistryReply {
    public Names {
      names = List.copyOf(names);
    }
  }

  /** What the registry persists. The class names are in the journal: never rename them. */
  public sealed interface Change extends CairnSerializable permits Added, Removed {}

  public record Added(String name) implements Change {}

  public record Removed(String name) implements Change {}

  private final TreeSet<String> names = new TreeSet<>();
  private final KnownNamespaces known;

  static Props props(KnownNamespaces known) {
    return Props.create(NamespaceRegistry.class, () -> new NamespaceRegistry(known));
  }

  private NamespaceRegistry(KnownNamespaces known) {
    this.known = known;
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
        .match(RecoveryCompleted.class, done -> known.recoveredWith(names))
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
                      known.add(e.name());
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
                      known.remove(e.name());
                      getSender().tell(new Done(), getSelf());
                    });
              }
            })
        .match(ListNames.class, l -> getSender().tell(new Names(List.copyOf(names)), getSelf()))
        .build();
  }
}
