package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Status;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.internal.RememberEntitiesShardStore;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.pattern.Patterns;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One shard's leaders to start: the namespaces the {@link NamespaceRegistry} lists whose leaders
 * fall in this shard. The shard is answered at once and never waits on this store: it is told the
 * registered namespaces if the registry has answered already, else none, and is asked to start each
 * of them ({@link ShardRegion.StartEntity}) once the registry answers. A change the shard reports
 * (a leader started or stopped) is acknowledged at once, with nothing written: a registered
 * namespace is started by its next shard whether it was running or not.
 *
 * <p>So a shard that has just started on another node (a failover, a hand-off, a restart) serves
 * its first request without reading anything, where Pekko's event-sourced store first read its
 * remembered entities back from the journal (about 0.3 s of Cassandra reads on a loaded node),
 * holding every request meanwhile; and a leader that started just before its node died is started
 * by its next shard all the same, since what is started comes from the registry, whose create is
 * durable before it is acknowledged.
 *
 * <p>The price: a namespace that was idle (its leader passivated) has its leader started too when
 * its shard moves, and stopped again after {@code cairn.namespace.passivate-idle}. A registry that
 * does not answer (moving with its singleton, still recovering) is asked again with a backoff until
 * it does; requests are served meanwhile, by the leaders they start.
 */
final class RegisteredLeadersStore extends AbstractActorWithTimers {
  private static final Duration FIRST_RETRY = Duration.ofMillis(200);
  private static final Duration LAST_RETRY = Duration.ofSeconds(5);

  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final String shardId;
  private final int shards;
  private final ActorSelection registry;
  private final Duration askTimeout;
  private Duration retryAfter = FIRST_RETRY;

  /** Whether the shard has been told what to start at first; later names go as StartEntity. */
  private boolean answered;

  /** The registered namespaces in this shard; null until the registry has answered. */
  private Set<String> registered;

  private enum Ask {
    AGAIN
  }

  /**
   * The store of shard {@code shardId}, with the registry and shard count of this node's config.
   */
  static Props props(String shardId) {
    return Props.create(RegisteredLeadersStore.class, () -> new RegisteredLeadersStore(shardId));
  }

  /**
   * @param registryPath the path of the registry (or of its singleton's proxy) on this node
   * @param shards the number of shards namespaces are spread over
   */
  static Props props(String shardId, String registryPath, int shards, Duration askTimeout) {
    return Props.create(
        RegisteredLeadersStore.class,
        () -> new RegisteredLeadersStore(shardId, registryPath, shards, askTimeout));
  }

  private RegisteredLeadersStore(String shardId) {
    Config config = getContext().getSystem().settings().config();
    this.shardId = shardId;
    this.shards = config.getInt("cairn.namespace.shards");
    this.registry = getContext().getSystem().actorSelection(registryPath(config));
    this.askTimeout = config.getDuration("cairn.namespace.ask-timeout");
  }

  private RegisteredLeadersStore(
      String shardId, String registryPath, int shards, Duration askTimeout) {
    this.shardId = shardId;
    this.shards = shards;
    this.registry = getContext().getSystem().actorSelection(registryPath);
    this.askTimeout = askTimeout;
  }

  @Override
  public void preStart() {
    askRegistry();
  }

  private void askRegistry() {
    Patterns.pipe(
            Patterns.ask(registry, new NamespaceRegistry.ListNames(), askTimeout),
            getContext().getDispatcher())
        .to(getSelf());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .matchEquals(RememberEntitiesShardStore.GetEntities$.MODULE$, g -> answerShard())
        .match(
            RememberEntitiesShardStore.Update.class,
            u ->
                getSender()
                    .tell(
                        new RememberEntitiesShardStore.UpdateDone(u.started(), u.stopped()),
                        getSelf()))
        .match(NamespaceRegistry.Names.class, this::onNames)
        .match(Status.Failure.class, this::onAskFailed)
        .matchEquals(Ask.AGAIN, a -> askRegistry())
        .match(ShardRegion.StartEntityAck.class, ack -> {})
        .build();
  }

  /** The shard asks once, as it starts: it is told what is known now, and never waits. */
  private void answerShard() {
    answered = true;
    getSender()
        .tell(
            new RememberEntitiesShardStore.RememberedEntities(
                CollectionConverters.asScala(registered == null ? Set.<String>of() : registered)
                    .toSet()),
            getSelf());
  }

  private void onNames(NamespaceRegistry.Names names) {
    if (registered != null) {
      return;
    }
    registered = new HashSet<>();
    for (String name : names.names()) {
      if (inThisShard(name, shardId, shards)) {
        registered.add(name);
      }
    }
    if (answered) {
      for (String name : registered) {
        getContext().getParent().tell(new ShardRegion.StartEntity(name), getSelf());
      }
    }
    log.debug(
        "shard {}: {} registered namespace(s) to lead{}",
        shardId,
        registered.size(),
        answered ? ", started after the shard" : "");
  }

  private void onAskFailed(Status.Failure failure) {
    log.info(
        "shard {}: the namespace registry did not answer ({}); asking again in {} ms",
        shardId,
        failure.cause().getMessage(),
        retryAfter.toMillis());
    getTimers().startSingleTimer(Ask.AGAIN, Ask.AGAIN, retryAfter);
    Duration doubled = retryAfter.multipliedBy(2);
    retryAfter = doubled.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : doubled;
  }

  /** Whether the leader of {@code namespace} is an entity of shard {@code shardId}. */
  static boolean inThisShard(String namespace, String shardId, int shards) {
    return Namespaces.messageExtractor(shards)
        .shardId(new ShardRegion.StartEntity(namespace))
        .equals(shardId);
  }

  /** The registry's path on a node with {@code config} (see {@code Namespaces#start}). */
  static String registryPath(Config config) {
    return "/user/"
        + (config.getBoolean("cairn.namespace.cluster-registry")
            ? Namespaces.REGISTRY_PROXY
            : Namespaces.REGISTRY);
  }
}
