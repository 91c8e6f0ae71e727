package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import dev.cairn.actors.ask.Asks;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.persistence.codec.CairnSerializable;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.singleton.ClusterSingletonManager;
import org.apache.pekko.cluster.singleton.ClusterSingletonManagerSettings;
import org.apache.pekko.cluster.singleton.ClusterSingletonProxy;
import org.apache.pekko.cluster.singleton.ClusterSingletonProxySettings;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.pattern.BackoffOpts;
import org.apache.pekko.pattern.BackoffSupervisor;
import org.apache.pekko.pattern.Patterns;

/**
 * The entry point to namespaces for other layers: starts the sharded leaders and the registry, and
 * turns requests into asks. Every method completes with the leader's answer or fails with a
 * timeout; none blocks.
 */
public final class Namespaces {
  public static final String DEFAULT = "default";
  public static final String SHARD_TYPE = "namespace";

  /** The registry's actor name, and its singleton proxy's in a cluster (see {@link #start}). */
  static final String REGISTRY = "namespace-registry";

  static final String REGISTRY_PROXY = "namespace-registry-proxy";
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9_.-]{0,62})");

  /** A request addressed to one namespace's leader, routed by Cluster Sharding. */
  public record Envelope(String namespace, NamespaceLeader.Request request)
      implements CairnSerializable {}

  /**
   * The first pause before asking again after a {@link NamespaceLeader.NotExecuted}; each further
   * pause doubles, up to {@link #RETRY_PAUSE_MAX}, until the ask's deadline.
   */
  static final Duration RETRY_PAUSE_FIRST = Duration.ofMillis(10);

  static final Duration RETRY_PAUSE_MAX = Duration.ofMillis(100);

  /**
   * How long one attempt of a repeatable ask (a read, a keepalive, a probe) waits while the leader
   * this node's replica names for its namespace ran on a node that is downed or removed. The shard
   * region may not have learnt of the loss yet when the ask is sent again, and then sends it to the
   * lost node, where it vanishes without a word (Artery drops what goes to a quarantined node):
   * such an ask is sent again after this long, until the new leader has taken over, instead of
   * waiting out its deadline.
   */
  static final Duration LOST_LEADER_ATTEMPT = Duration.ofMillis(500);

  private final ActorSystem system;
  private final ActorRef region;
  private final ActorRef registry;
  private final Duration timeout;
  private final LocalLeaders localLeaders;
  private final Keyspace keyspace;
  private final KnownNamespaces known;
  private final Cluster cluster;

  /**
   * This node's replicas of the namespaces, when it keeps them: they serve serializable reads and
   * watches. Null: both are served by the leaders, as on a single node.
   */
  private volatile LocalCopies copies;

  /**
   * A node-local copy of every namespace the node serves (its replicas, see {@code
   * dev.cairn.actors.replica}), behind an interface so this package does not depend on it.
   */
  public interface LocalCopies {
    /** A read answered from this node's copy of {@code namespace}: possibly stale, never newer. */
    CompletionStage<Reply> read(String namespace, Read read);

    /** Delivers a watch request to this node's copy of {@code namespace}, which answers it. */
    void tell(String namespace, NamespaceLeader.WatchRequest request, ActorRef sender);

    /**
     * The address of the leader this node's copy of {@code namespace} follows, or null when it
     * follows none (or keeps no copy).
     */
    Address leaderAddress(String namespace);
  }

  /**
   * An ask sent through the shard region (its leader runs on another node), until answered: {@code
   * answer} completes with the leader's answer, or with {@link LeaderLost} when the node of the
   * leader it went to is lost first.
   */
  private record RemoteAsk(String namespace, CompletableFuture<Object> answer) {}

  /** The answer to a remote ask whose leader's node was downed or removed while it waited. */
  private record LeaderLost(Address node) {}

  /** Remote asks awaiting their answers. */
  private final Set<RemoteAsk> remoteAsks = ConcurrentHashMap.newKeySet();

  Namespaces(
      ActorSystem system,
      ActorRef region,
      ActorRef registry,
      Duration timeout,
      LocalLeaders localLeaders,
      Keyspace keyspace,
      KnownNamespaces known) {
    this.system = system;
    this.known = known;
    this.localLeaders = localLeaders;
    this.keyspace = keyspace;
    this.region = region;
    this.registry = registry;
    this.timeout = timeout;
    this.cluster = Cluster.get(system);
  }

  /**
   * Starts the shard region for namespace leaders on this node and the namespace registry. With
   * {@code cairn.namespace.remember-leaders} the shards remember their running leaders in the
   * journal and start them again wherever the shard goes next (a failover, a rebalance, a restart),
   * so a namespace holding leases is led without waiting for a request.
   */
  public static Namespaces start(ActorSystem system) {
    Config config = system.settings().config();
    NamespaceSettings settings = NamespaceSettings.fromConfig(config);
    int shards = config.getInt("cairn.namespace.shards");
    boolean remember = config.getBoolean("cairn.namespace.remember-leaders");
    if (remember) {
      checkRememberedInJournal(config);
    }
    ActorRef region =
        ClusterSharding.get(system)
            .start(
                SHARD_TYPE,
                NamespaceLeader.props(settings),
                ClusterShardingSettings.create(system).withRememberEntities(remember),
                messageExtractor(shards),
                new LeaderPlacement(system),
                NamespaceLeader.handOffStop());
    UndeliveredAsks.start(system);
    KnownNamespaces known = new KnownNamespaces();
    boolean clusterRegistry =
        system.settings().config().getBoolean("cairn.namespace.cluster-registry");
    // A registry write that fails (e.g. a full disk) stops the registry; it comes back by itself.
    // In a cluster the copy of names it keeps is of no use to other nodes, and would go stale on
    // this one once the singleton moves away: it keeps one nobody reads, and every name goes to
    // its leader (which answers for a namespace that does not exist).
    Props registryProps =
        BackoffSupervisor.props(
            BackoffOpts.onStop(
                NamespaceRegistry.props(clusterRegistry ? new KnownNamespaces() : known),
                "registry",
                Duration.ofMillis(200),
                Duration.ofSeconds(10),
                0.2));
    ActorRef registry;
    if (clusterRegistry) {
      system.actorOf(
          ClusterSingletonManager.props(
              registryProps,
              PoisonPill.getInstance(),
              ClusterSingletonManagerSettings.create(system)),
          REGISTRY);
      registry =
          system.actorOf(
              ClusterSingletonProxy.props(
                  "/user/" + REGISTRY, ClusterSingletonProxySettings.create(system)),
              REGISTRY_PROXY);
    } else {
      registry = system.actorOf(registryProps, REGISTRY);
    }
    Namespaces namespaces =
        new Namespaces(
            system,
            region,
            registry,
            settings.askTimeout(),
            LocalLeaders.get(system),
            new Keyspace(settings.limits()),
            known);
    LostMembers.start(system, namespaces);
    if (clusterRegistry) {
      // A cluster node takes leaders over from others: run a leader's start once beforehand.
      LeaderWarmUp.start(system, settings);
    }
    return namespaces;
  }

  /**
   * How the shard region routes to namespace leaders: an {@link Envelope} to the leader named by
   * its namespace, in the shard its name hashes to. The one mapping of names to shards: {@link
   * RegisteredLeadersStore} asks it which namespaces are in a shard.
   */
  static ShardRegion.MessageExtractor messageExtractor(int shards) {
    return new ShardRegion.HashCodeMessageExtractor(shards) {
      @Override
      public String entityId(Object message) {
        return message instanceof Envelope e ? e.namespace() : null;
      }

      @Override
      public Object entityMessage(Object message) {
        return message instanceof Envelope e ? e.request() : message;
      }
    };
  }

  /**
   * The leaders a shard starts come from the namespace registry ({@link RegisteredLeaders}) or, if
   * so configured, from Pekko's event-sourced store in the leaders' journal; never from distributed
   * data, whose durable copy needs LMDB, a second storage engine on every node, and without which a
   * restart of the whole cluster (or of a single node) would forget which namespaces to start.
   * Fails the start when the configuration would select another store.
   */
  private static void checkRememberedInJournal(Config config) {
    String store = config.getString("pekko.cluster.sharding.remember-entities-store");
    String custom =
        config.hasPath("pekko.cluster.sharding.remember-entities-custom-store")
            ? config.getString("pekko.cluster.sharding.remember-entities-custom-store")
            : "";
    List<String> durable =
        config.getStringList("pekko.cluster.sharding.distributed-data.durable.keys");
    boolean ours = store.equals("custom") && custom.equals(RegisteredLeaders.class.getName());
    if (!(ours || store.equals("eventsourced")) || !durable.isEmpty()) {
      throw new IllegalStateException(
          "cairn.namespace.remember-leaders = on needs"
              + " pekko.cluster.sharding.remember-entities-store = custom with"
              + " remember-entities-custom-store = "
              + RegisteredLeaders.class.getName()
              + " (or eventsourced) and"
              + " pekko.cluster.sharding.distributed-data.durable.keys = [] (found "
              + store
              + (store.equals("custom") ? " " + custom : "")
              + " and "
              + durable
              + ")");
    }
  }

  /** Namespace leaders alive on this node, recovering ones included (for tests and metrics). */
  public int runningLeaders() {
    return localLeaders.running();
  }

  /** Namespace leaders started on this node so far, each a recovery (for tests and metrics). */
  public long leaderStarts() {
    return localLeaders.starts();
  }

  /** Publishes this node's namespace figures to {@code registry}. */
  public void bindMetrics(MeterRegistry registry) {
    Gauge.builder("cairn.namespace.leaders", localLeaders, LocalLeaders::running)
        .description("Namespace leaders alive on this node, recovering ones included")
        .register(registry);
    Gauge.builder("cairn.namespace.remote.asks", remoteAsks, Set::size)
        .description(
            "Requests this node has sent to namespace leaders on other nodes and not yet had"
                + " answered")
        .register(registry);
    FunctionCounter.builder("cairn.namespace.leader.starts", localLeaders, LocalLeaders::starts)
        .description("Namespace leaders started on this node, each a recovery from the journal")
        .register(registry);
  }

  /**
   * False when {@code namespace} certainly does not exist: it is not in the registry, which has
   * recovered. Such requests are answered here, so that naming a namespace that does not exist
   * starts nothing. True means its leader decides (a listed namespace may be being deleted).
   */
  private boolean mayExist(String namespace) {
    return DEFAULT.equals(namespace) || known.contains(namespace) || !known.recovered();
  }

  private static Reply.Rejected absent() {
    return new Reply.Rejected(
        0, Rejection.of(ErrorCode.NAMESPACE_NOT_FOUND, "namespace does not exist"));
  }

  private static boolean createsNamespace(NamespaceLeader.Ask<?> request) {
    return request instanceof NamespaceLeader.Write w
        && w.command() instanceof Command.CreateNamespace;
  }

  /** True when {@code name} is a valid namespace name: lowercase, digits, {@code _ . -}, ≤ 63. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * Sends {@code request} to the leader of {@code namespace}; completes with its answer, of the
   * request's reply family, or fails with a timeout. One path for every leader: an ordinary ask, of
   * the leader's own ref when it runs on this node (no shard hops), through Cluster Sharding
   * otherwise; the answer is checked against the family.
   *
   * <p>A request that certainly was not executed because its leader was moving or stopping ({@link
   * NamespaceLeader.NotExecuted}) is sent again, after a pause that starts at 10 ms and doubles up
   * to 100 ms, until the deadline: a hand-off or a rebalance is then a delay to callers, not an
   * error. A repeatable request (a read, a keepalive, a probe) is also sent again when the node of
   * its leader is lost while it waits ({@link #leaderNodeLost}), and, until the next leader has
   * taken over, after each {@link #LOST_LEADER_ATTEMPT} without an answer. Nothing else is sent
   * twice (a write whose outcome is unknown is answered as such).
   */
  public <R extends Reply> CompletionStage<R> ask(
      String namespace, NamespaceLeader.Ask<R> request) {
    return ask(namespace, request, timeout);
  }

  /** As {@link #ask(String, NamespaceLeader.Ask)}, failing after {@code timeout}. */
  public <R extends Reply> CompletionStage<R> ask(
      String namespace, NamespaceLeader.Ask<R> request, Duration timeout) {
    if (!mayExist(namespace) && !createsNamespace(request)) {
      // Rejected belongs to every reply family.
      return CompletableFuture.completedFuture(request.replyType().cast(absent()));
    }
    return askUntil(namespace, request, System.nanoTime() + timeout.toNanos(), RETRY_PAUSE_FIRST);
  }

  private <R extends Reply> CompletionStage<R> askUntil(
      String namespace, NamespaceLeader.Ask<R> request, long deadline, Duration pause) {
    Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    ActorRef local = localLeaders.get(namespace);
    CompletionStage<Object> answer;
    if (local != null) {
      answer = Asks.ask(local, request, left, system.dispatcher());
    } else {
      RemoteAsk pending = new RemoteAsk(namespace, new CompletableFuture<>());
      remoteAsks.add(pending);
      Address gone = request.repeatable() ? lostLeader(namespace) : null;
      Duration attempt =
          gone != null && left.compareTo(LOST_LEADER_ATTEMPT) > 0 ? LOST_LEADER_ATTEMPT : left;
      Asks.ask(region, new Envelope(namespace, request), attempt, system.dispatcher())
          .whenComplete(
              (a, failure) -> {
                remoteAsks.remove(pending);
                if (failure != null
                    && gone != null
                    && unwrap(failure) instanceof AskTimeoutException
                    && deadline - System.nanoTime() > 0) {
                  pending.answer().complete(new LeaderLost(gone));
                } else if (failure != null) {
                  pending.answer().completeExceptionally(failure);
                } else {
                  pending.answer().complete(a);
                }
              });
      answer = pending.answer();
    }
    return answer.thenCompose(
        a -> {
          String again;
          if (a instanceof NamespaceLeader.NotExecuted refused) {
            again = refused.detail() + "; it was not executed: retry";
          } else if (a instanceof LeaderLost lost && request.repeatable()) {
            again = "the namespace's leader was lost with its node " + lost.node() + ": retry";
          } else if (a instanceof LeaderLost lost) {
            return CompletableFuture.completedFuture(
                request.replyType().cast(outcomeUnknown(lost.node())));
          } else {
            return CompletableFuture.completedFuture(request.replyType().cast(a));
          }
          if (deadline - System.nanoTime() <= 2 * pause.toNanos()) {
            // Rejected belongs to every reply family.
            return CompletableFuture.completedFuture(
                request
                    .replyType()
                    .cast(new Reply.Rejected(0, Rejection.of(ErrorCode.UNAVAILABLE, again))));
          }
          Duration next = pause.multipliedBy(2);
          return Patterns.after(
              pause,
              system,
              () ->
                  askUntil(
                      namespace,
                      request,
                      deadline,
                      next.compareTo(RETRY_PAUSE_MAX) > 0 ? RETRY_PAUSE_MAX : next));
        });
  }

  /**
   * The address of the node the leader of {@code namespace} ran on, as this node's replica knows
   * it, when that node is downed or no longer a member; null otherwise (it is up, or merely
   * unreachable and may come back, or this node keeps no replica).
   */
  private Address lostLeader(String namespace) {
    LocalCopies c = copies;
    Address leader = c == null ? null : c.leaderAddress(namespace);
    if (leader == null) {
      return null;
    }
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(leader)) {
        return m.status() == MemberStatus.down() ? leader : null;
      }
    }
    return leader;
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause()
        : t;
  }

  private static Reply.Rejected outcomeUnknown(Address node) {
    return new Reply.Rejected(
        0,
        Rejection.of(
            ErrorCode.UNAVAILABLE,
            "the namespace's leader was lost with its node "
                + node
                + " while it had this write: it may or may not have been applied; read before"
                + " writing again"));
  }

  /**
   * Answers at once every ask in flight to a leader that ran on {@code node}, which was just downed
   * or removed from the cluster (its process is gone, or it was judged dead): a read is sent again,
   * to the namespace's next leader; a write is answered {@code unavailable} with its outcome
   * unknown (it may have been applied before the node went). Without this they would wait out their
   * deadline, since nothing answers for a dead node. Where the leader runs is known from this
   * node's replica of the namespace; without one, the asks wait as before.
   */
  void leaderNodeLost(Address node) {
    LocalCopies c = copies;
    if (c == null || remoteAsks.isEmpty()) {
      return;
    }
    for (RemoteAsk pending : remoteAsks) {
      if (node.equals(c.leaderAddress(pending.namespace()))) {
        pending.answer().complete(new LeaderLost(node));
      }
    }
  }

  public CompletionStage<Reply> write(String namespace, Command command) {
    return ask(namespace, new NamespaceLeader.Write(command));
  }

  /**
   * Answers a read with every write acknowledged before it. A range read of a namespace led on this
   * node is answered at once from the leader's published (durable) revision, on the calling thread;
   * anything else, or a read the published state cannot answer, goes to the leader.
   */
  public CompletionStage<Reply> read(String namespace, Read read) {
    if (read instanceof Read.Range range && mayExist(namespace)) {
      LocalLeaders.Leader local = localLeaders.leader(namespace);
      if (local != null) {
        if (local.barrier().isNone()) {
          Reply reply = keyspace.readPublished(local.state(), range);
          if (reply != null) {
            return CompletableFuture.completedFuture(reply);
          }
        } else {
          // Read after the barrier: the published state then holds every write acknowledged
          // before this read, and no successor had written when the probe looked.
          return local
              .barrier()
              .confirm()
              .handle(
                  (current, failure) -> {
                    if (failure != null) {
                      // The journal did not answer (Cassandra down or slow): as the leader does.
                      return CompletableFuture.<Reply>completedFuture(
                          ReadBarrier.unconfirmed(local.state().published(), failure));
                    }
                    Reply reply = current ? keyspace.readPublished(local.state(), range) : null;
                    return reply != null
                        ? CompletableFuture.completedFuture(reply)
                        : ask(namespace, new NamespaceLeader.Query(read));
                  })
              .thenCompose(r -> r);
        }
      }
    }
    return ask(namespace, new NamespaceLeader.Query(read));
  }

  /**
   * From now on, serializable reads and watches are served by {@code copies}, this node's replicas.
   */
  public void serveLocallyFrom(LocalCopies copies) {
    this.copies = copies;
  }

  /** Whether this node serves serializable reads and watches from replicas of its own. */
  public boolean hasLocalCopies() {
    return copies != null;
  }

  /**
   * Answers a read that may be stale but never goes back in time (etcd's serializable read): from
   * this node's replica of the namespace when it keeps one, never through the leader; otherwise as
   * {@link #read}.
   */
  public CompletionStage<Reply> readSerializable(String namespace, Read read) {
    LocalCopies c = copies;
    if (c == null || !mayExist(namespace)) {
      return read(namespace, read);
    }
    return c.read(namespace, read);
  }

  /**
   * Asks the leader of {@code namespace} for its committed events (always the leader, even when
   * this node serves watches from replicas: the replica is what asks).
   */
  public void replicate(String namespace, NamespaceLeader.Replicate request, ActorRef sender) {
    ActorRef local = localLeaders.get(namespace);
    if (local != null) {
      local.tell(request, sender);
    } else {
      region.tell(new Envelope(namespace, request), sender);
    }
  }

  /**
   * Sends {@code request} without waiting for an answer (subscriptions answer by messages): to this
   * node's replica of the namespace when it keeps replicas, else to the namespace's leader.
   */
  public void tell(String namespace, NamespaceLeader.WatchRequest request, ActorRef sender) {
    if (!mayExist(namespace)) {
      if (request instanceof NamespaceLeader.Subscribe s) {
        s.subscriber()
            .tell(
                new NamespaceLeader.WatchRefused(s.watchId(), absent().rejection()),
                ActorRef.noSender());
      }
      return;
    }
    LocalCopies c = copies;
    if (c != null) {
      c.tell(namespace, request, sender);
      return;
    }
    ActorRef local = localLeaders.get(namespace);
    if (local != null) {
      local.tell(request, sender);
    } else {
      region.tell(new Envelope(namespace, request), sender);
    }
  }

  /** Creates a namespace and lists it. */
  public CompletionStage<Reply> create(String namespace) {
    return write(namespace, new Command.CreateNamespace())
        .thenCompose(
            reply ->
                thenRegistry(
                    reply, ErrorCode.NAMESPACE_EXISTS, new NamespaceRegistry.Add(namespace)));
  }

  /**
   * Deletes a namespace (refused while it holds keys or leases unless {@code force}). One the
   * registry does not list is answered "not found" without its leader, like any other request.
   */
  public CompletionStage<Reply> delete(String namespace, boolean force) {
    if (DEFAULT.equals(namespace)) {
      return CompletableFuture.completedFuture(
          new Reply.Rejected(
              0,
              Rejection.of(
                  ErrorCode.NAMESPACE_PROTECTED, "the default namespace cannot be deleted")));
    }
    return write(namespace, new Command.DeleteNamespace(force))
        .thenCompose(
            reply ->
                thenRegistry(
                    reply, ErrorCode.NAMESPACE_NOT_FOUND, new NamespaceRegistry.Remove(namespace)));
  }

  /**
   * Brings the registry in line with the leader's answer: on success, or on {@code alreadyDone}
   * (the namespace was already in the wanted state), sends {@code change} to the registry, then
   * completes with the leader's reply.
   */
  private CompletionStage<Reply> thenRegistry(
      Reply reply, ErrorCode alreadyDone, NamespaceRegistry.Request change) {
    boolean applies =
        reply instanceof Reply.NamespaceReply
            || (reply instanceof Reply.Rejected r && r.code() == alreadyDone);
    if (!applies) {
      return CompletableFuture.completedFuture(reply);
    }
    return Asks.ask(registry, change, timeout, system.dispatcher()).thenApply(done -> reply);
  }

  /** The names of all namespaces, sorted. */
  public CompletionStage<List<String>> list() {
    return Asks.ask(registry, new NamespaceRegistry.ListNames(), timeout, system.dispatcher())
        .thenApply(n -> ((NamespaceRegistry.Names) n).names());
  }
}
