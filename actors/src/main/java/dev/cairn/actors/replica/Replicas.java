package dev.cairn.actors.replica;

import dev.cairn.actors.ask.Asks;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.NamespaceSettings;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * This node's replicas, one per namespace it serves, started on first use ({@code default}'s at
 * once). It answers serializable range reads on the caller's thread from a replica's published
 * state (as a leader's node answers linearizable ones from the leader's), and hands every other
 * serializable read and every watch request to the replica's actor. Nothing here goes to a leader.
 *
 * <p>Thread-safe: called from HTTP threads and actors alike.
 */
public final class Replicas implements Namespaces.LocalCopies {

  /** What a replica shares with readers on other threads: its current state, once it has one. */
  static final class View {
    /** Null until the replica's first catch-up; replaced, never reused, by a later full copy. */
    volatile KeyspaceState state;

    /**
     * The address of the leader the replica follows (local scope when it runs on this node); null
     * while it follows none.
     */
    volatile Address leader;
  }

  private record Copy(ActorRef actor, View view) {}

  /** Where a snapshot store finds its actor system's replicas (see {@link #of}). */
  static final class Registry implements Extension {
    final AtomicReference<Replicas> replicas = new AtomicReference<>();
  }

  private static final class RegistryId extends AbstractExtensionId<Registry> {
    @Override
    public Registry createExtension(ExtendedActorSystem system) {
      return new Registry();
    }
  }

  private static final RegistryId REGISTRY = new RegistryId();

  private final ActorSystem system;
  private final Namespaces namespaces;
  private final ReplicaSettings settings;
  private final Keyspace keyspace;
  private final ConcurrentHashMap<String, Copy> copies = new ConcurrentHashMap<>();
  private final AtomicLong started = new AtomicLong();
  final AtomicLong fullCopies = new AtomicLong();

  private Replicas(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
    this.settings = ReplicaSettings.fromConfig(system.settings().config());
    this.keyspace = new Keyspace(NamespaceSettings.fromConfig(system.settings().config()).limits());
  }

  /**
   * When the configuration asks for replicas ({@code cairn.replica.enabled}), starts this node's
   * and makes {@code namespaces} serve serializable reads and watches from them; else returns null
   * and leaves {@code namespaces} as it is.
   */
  public static Replicas startIfEnabled(ActorSystem system, Namespaces namespaces) {
    if (!NamespaceSettings.replicas(system.settings().config())) {
      return null;
    }
    Replicas r = new Replicas(system, namespaces);
    REGISTRY.get(system).replicas.set(r);
    r.copy(Namespaces.DEFAULT);
    namespaces.serveLocallyFrom(r);
    return r;
  }

  /** The replicas {@link #startIfEnabled} started in {@code system}; null if none. */
  public static Replicas of(ActorSystem system) {
    return REGISTRY.get(system).replicas.get();
  }

  /**
   * A copy of this node's replica of {@code namespace}, at the last revision it applied, to start
   * the namespace's leader from; empty when this node keeps no replica of it or the replica has no
   * state yet. Never starts a replica.
   */
  @SuppressWarnings("unchecked")
  public CompletionStage<Optional<KeyspaceSnapshot>> stateCopy(String namespace) {
    Copy c = copies.get(namespace);
    if (c == null || c.view().state == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return Asks.ask(
            c.actor(), new NamespaceReplica.StateCopy(), settings.askTimeout(), system.dispatcher())
        .thenApply(o -> (Optional<KeyspaceSnapshot>) o);
  }

  /** Publishes this node's replica figures to {@code registry}. */
  public void bindMetrics(MeterRegistry registry) {
    Gauge.builder("cairn.replica.namespaces", copies, ConcurrentHashMap::size)
        .description("Namespaces this node keeps a replica of")
        .register(registry);
    FunctionCounter.builder("cairn.replica.full.copies", fullCopies, AtomicLong::get)
        .description(
            "Times a replica caught up by copying its leader's whole state instead of events")
        .register(registry);
  }

  private Copy copy(String namespace) {
    Copy c = copies.get(namespace);
    return c != null ? c : copies.computeIfAbsent(namespace, this::start);
  }

  private Copy start(String namespace) {
    View view = new View();
    String name =
        "replica-"
            + URLEncoder.encode(namespace, StandardCharsets.UTF_8)
            + "-"
            + started.incrementAndGet();
    ActorRef actor =
        system.actorOf(
            NamespaceReplica.props(namespace, namespaces, keyspace, settings, view, this), name);
    return new Copy(actor, view);
  }

  /**
   * Called by a replica whose namespace is gone, before it stops: the next request naming the
   * namespace starts a new replica (which finds it re-created, or absent).
   */
  void forget(String namespace, ActorRef replica) {
    copies.computeIfPresent(namespace, (n, c) -> c.actor().equals(replica) ? null : c);
  }

  /** The namespaces this node keeps a replica of now (for tests). */
  java.util.Set<String> namespaces() {
    return java.util.Set.copyOf(copies.keySet());
  }

  @Override
  public Address leaderAddress(String namespace) {
    Copy c = copies.get(namespace);
    return c == null ? null : c.view().leader;
  }

  @Override
  public CompletionStage<Reply> read(String namespace, Read read) {
    Copy c = copy(namespace);
    KeyspaceState s = c.view().state;
    if (s != null && read instanceof Read.Range range) {
      Reply reply = keyspace.readPublished(s, range);
      if (reply != null) {
        return CompletableFuture.completedFuture(reply);
      }
    }
    return Asks.ask(
            c.actor(), new NamespaceReplica.Query(read), settings.askTimeout(), system.dispatcher())
        .thenApply(Reply.class::cast);
  }

  @Override
  public void tell(String namespace, NamespaceLeader.WatchRequest request, ActorRef sender) {
    copy(namespace).actor().tell(request, sender);
  }
}
