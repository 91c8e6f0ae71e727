package dev.cairn.actors.namespace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Decision;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.persistence.codec.CairnSerializable;
import dev.cairn.persistence.journal.FencedAppendException;
import dev.cairn.persistence.journal.JournalCondition;
import dev.cairn.persistence.journal.JournalConditions;
import dev.cairn.persistence.journal.JournalUnwritableException;
import dev.cairn.persistence.snapshot.SnapshotSkippedException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.NotInfluenceReceiveTimeout;
import org.apache.pekko.actor.OneForOneStrategy;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.ReceiveTimeout;
import org.apache.pekko.actor.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.japi.pf.DeciderBuilder;
import org.apache.pekko.persistence.AbstractPersistentActorWithTimers;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SnapshotOffer;

/**
 * The single writer of one namespace: decides commands against its {@link KeyspaceState}, persists
 * the events, and replies once they are durable.
 *
 * <p><b>Group commit.</b> Commands are decided one after another as they arrive and their events
 * applied to the state at once, so the next command is decided against them; the events go to the
 * journal with {@code persistAllAsync}. Pekko keeps one journal write in flight per actor and
 * gathers every event persisted meanwhile into the next write, so a burst of N commands costs one
 * forced write, not N, and no command waits for another's round trip to be decided.
 *
 * <p><b>Nothing is seen before it is durable.</b> Because the state runs ahead of the journal,
 * every reply (to writes, reads, rejections and keepalives alike) is sent from a persist handler or
 * a {@code deferAsync} handler, which Pekko runs only after every earlier write is acknowledged. A
 * client therefore never observes a change that a crash could take back.
 *
 * <p>Revision = sequence number: every event takes the next revision and is one journal entry, so a
 * snapshot taken right after deciding is the state at its own sequence number.
 */
public final class NamespaceLeader extends AbstractPersistentActorWithTimers {

  /**
   * The messages a leader understands; other layers reach it through {@link Namespaces}. Every one
   * crosses actor boundaries (and, in a cluster, nodes): each is a record serialized by the
   * project's CBOR serializer.
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Write.class, name = "write"),
    @JsonSubTypes.Type(value = Query.class, name = "query"),
    @JsonSubTypes.Type(value = KeepAlive.class, name = "keepalive"),
    @JsonSubTypes.Type(value = KeepAliveMany.class, name = "keepalive-many"),
    @JsonSubTypes.Type(value = LeaseTimeToLive.class, name = "lease-ttl"),
    @JsonSubTypes.Type(value = Progress.class, name = "progress"),
    @JsonSubTypes.Type(value = Subscribe.class, name = "subscribe"),
    @JsonSubTypes.Type(value = Unsubscribe.class, name = "unsubscribe"),
    @JsonSubTypes.Type(value = WatchProgress.class, name = "watch-progress"),
    @JsonSubTypes.Type(value = Replicate.class, name = "replicate"),
  })
  public sealed interface Request extends CairnSerializable permits Ask, WatchRequest, Replicate {}

  /**
   * A request answered with exactly one reply of family {@code R} (which always includes {@link
   * Reply.Rejected}), sent to the asker once everything it reflects is durable.
   */
  public sealed interface Ask<R extends Reply> extends Request
      permits Write, Query, KeepAlive, KeepAliveMany, LeaseTimeToLive, Progress {
    /** The reply family, to check an answer that arrives untyped (a remote ask). */
    Class<R> replyType();

    /**
     * Whether executing it twice is harmless (it reads, or it extends leases): such an ask is sent
     * again when its leader's node is lost while it waits; a write's outcome is then unknown.
     */
    default boolean repeatable() {
      return true;
    }
  }

  /** A change; answered with the {@link Reply} its command gives. */
  public record Write(Command command) implements Ask<Reply> {
    @Override
    public boolean repeatable() {
      return false;
    }

    @Override
    public Class<Reply> replyType() {
      return Reply.class;
    }
  }

  /** A read; answered with a {@link Reply} reflecting every write acknowledged before it. */
  public record Query(Read read) implements Ask<Reply> {
    @Override
    public Class<Reply> replyType() {
      return Reply.class;
    }
  }

  /** Renews a lease. */
  public record KeepAlive(long leaseId) implements Ask<Reply.KeepAliveResult> {
    @Override
    public Class<Reply.KeepAliveResult> replyType() {
      return Reply.KeepAliveResult.class;
    }
  }

  /** Renews many leases at once (a session's); the reply lists the ones that no longer exist. */
  public record KeepAliveMany(List<Long> leaseIds) implements Ask<Reply.KeepAliveManyResult> {
    public KeepAliveMany {
      leaseIds = List.copyOf(leaseIds);
    }

    @Override
    public Class<Reply.KeepAliveManyResult> replyType() {
      return Reply.KeepAliveManyResult.class;
    }
  }

  /** A lease's remaining TTL. */
  public record LeaseTimeToLive(long leaseId) implements Ask<Reply.LeaseStatusResult> {
    @Override
    public Class<Reply.LeaseStatusResult> replyType() {
      return Reply.LeaseStatusResult.class;
    }
  }

  /**
   * Asks for the current durable revision. Not a sign of use: it does not keep an idle leader from
   * passivating (readiness probes ask every leader).
   */
  public record Progress() implements Ask<Reply.ProgressResult>, NotInfluenceReceiveTimeout {
    @Override
    public Class<Reply.ProgressResult> replyType() {
      return Reply.ProgressResult.class;
    }
  }

  /**
   * The answer to an ask that was certainly not executed because it never reached a serving leader:
   * it came to a leader told to stop (a hand-off or a passivation), or it was dropped undelivered
   * while its shard moved. {@link Namespaces} asks again (the next leader answers), so callers only
   * see it, as {@code unavailable}, when no leader answered before their deadline.
   */
  public record NotExecuted(String detail) implements CairnSerializable {}

  /** A request about watches, answered (if at all) by messages to its subscriber. */
  public sealed interface WatchRequest extends Request
      permits Subscribe, Unsubscribe, WatchProgress {}

  /**
   * Starts watch {@code watchId} of {@code subscriber} on {@code [key, rangeEnd)} from {@code
   * fromRevision} (0 = from now). The subscriber then receives {@link WatchHub.Deliveries}: past
   * changes first, then live ones, with no gap and no duplicate. A watch that cannot start gets a
   * {@link WatchRefusal} instead. The deliveries come from this leader's hub, which stops with the
   * leader: the subscriber watches it and subscribes again when it terminates.
   */
  public record Subscribe(
      long watchId, String key, String rangeEnd, long fromRevision, ActorRef subscriber)
      implements WatchRequest {}

  /** Stops watch {@code watchId} of {@code subscriber}, or all its watches when -1. */
  public record Unsubscribe(ActorRef subscriber, long watchId) implements WatchRequest {}

  /**
   * Asks for a {@link WatchHub.Progress} to be sent to {@code subscriber} once every change up to
   * the current revision has been delivered to it.
   */
  public record WatchProgress(ActorRef subscriber) implements WatchRequest {}

  /**
   * A node's replica of this namespace asks for the committed events from {@code fromRevision} on.
   * It is answered, once everything up to the leader's current revision R is durable, with a {@link
   * ReplicaSync} at R followed by what the replica lacks up to R: the events from {@code
   * fromRevision} as {@link Replicated} when this leader still holds them, else a copy of the whole
   * state at R in {@link ReplicaSync#copyParts()} {@link ReplicaCopy} pieces; then every later
   * committed event, in order, as {@link Replicated}, until this leader stops or {@code replica}
   * terminates. Asking again while registered is harmless: the replica is registered once.
   */
  public record Replicate(long fromRevision, ActorRef replica) implements Request {}

  /** What a leader sends a replica that asked to {@link Replicate}, in this order. */
  public sealed interface ReplicaUpdate extends CairnSerializable
      permits ReplicaSync, ReplicaCopy, Replicated {}

  /**
   * The start of an answer to {@link Replicate}: everything up to {@code revision} is durable, and
   * follows as {@code copyParts} pieces of a copy of the state at {@code revision}, or (when 0) as
   * the events the replica lacks.
   */
  public record ReplicaSync(long revision, int copyParts) implements ReplicaUpdate {}

  /**
   * Piece {@code part} of a copy of the state: a snapshot holding some keys' versions (a key's
   * versions may continue in the next piece; the leases and the other fields are in piece 0). Cut
   * to a few dozen kilobytes, so that no message outgrows the remoting frame, however large the
   * state.
   */
  public record ReplicaCopy(int part, KeyspaceSnapshot piece) implements ReplicaUpdate {}

  /** One committed (durable) event, in revision order. */
  public record Replicated(Event event) implements ReplicaUpdate {}

  /** To a {@link Subscribe}'s subscriber: the watch did not start. */
  public sealed interface WatchRefusal extends CairnSerializable
      permits WatchCompacted, WatchRefused {
    long watchId();
  }

  /** The watch could not start: its start revision is compacted. */
  public record WatchCompacted(long watchId, long compactRevision) implements WatchRefusal {}

  /** The watch could not start, e.g. the namespace does not exist. */
  public record WatchRefused(long watchId, Rejection rejection) implements WatchRefusal {}

  /**
   * The periodic lease and compaction check. It must not count as activity: a timer message that
   * influenced the receive timeout would restart the absent-namespace idle time on every tick, so
   * the leader of an absent namespace would never stop.
   */
  /** Sent back by the shard when this leader passivates; stops it once its writes are durable. */
  private record Stop() implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /**
   * The message that stops a leader whose shard is handed off (a rebalance, a leaving node): like a
   * passivation, the writes in flight are acknowledged and answered first, where a PoisonPill would
   * stop the leader with their replies unsent (the clients would wait for their timeouts, not
   * knowing whether the writes were made).
   */
  public static Object handOffStop() {
    return new Stop();
  }

  private record Tick() implements NotInfluenceReceiveTimeout {}

  /** A read barrier's answer for a request that waited for it (see {@link ReadBarrier}). */
  private record Confirmed(Request request, ActorRef replyTo, boolean current, Throwable failure)
      implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** A read barrier found that a successor has written: this incarnation must stop serving. */
  private record Superseded() {}

  private static final Object TICK_KEY = "tick";

  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final String namespace;
  private final NamespaceSettings settings;
  private final Keyspace keyspace;
  private final LeaseDeadlines deadlines = new LeaseDeadlines();
  private ActorRef hub;
  private KeyspaceState state;
  private long lastSnapshotRevision;

  /** Told to stop: requests are refused from now on (see {@link #handle}). */
  private boolean stopping;

  /** Versions in the last snapshot taken or recovered: the next waits at least as many events. */
  private long lastSnapshotVersions;

  private long snapshotRevision;

  /**
   * Callers promised a reply from a persist or deferAsync handler that has not run yet. If the
   * journal fails first, Pekko drops those handlers and stops the actor: they are answered at once
   * instead of timing out (see {@link #onPersistFailure}). Pekko runs those handlers in the order
   * they were registered, so each handler finds its caller at the front.
   */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();

  private record Waiting(ActorRef replyTo, boolean write) {}

  private final JournalConditions journals = JournalConditions.get(getContext().getSystem());
  private final LocalLeaders leaders = LocalLeaders.get(getContext().getSystem());
  private final RemoteReplies remoteReplies = new RemoteReplies(getContext().getSystem());
  private final String journalId = resolvedJournalPluginId();
  private ReadBarrier barrier = ReadBarrier.NONE;

  /** The replicas that get every committed event (see {@link Replicate}), in registration order. */
  private final java.util.LinkedHashSet<ActorRef> replicas = new java.util.LinkedHashSet<>();

  /**
   * The newest events applied (durable or not), contiguous, ending at the state's revision, at most
   * {@code cairn.replica.leader-recent-events}: a replica that missed a few (its leader moved, a
   * message was lost) catches up from them instead of copying the whole state. None are kept when
   * the node runs no replicas.
   */
  private final ArrayDeque<Event> recent = new ArrayDeque<>();

  private final int recentLimit =
      NamespaceSettings.replicas(getContext().getSystem().settings().config())
          ? getContext()
              .getSystem()
              .settings()
              .config()
              .getInt("cairn.replica.leader-recent-events")
          : 0;

  /** The size a piece of a state copy is cut at: {@code cairn.replica.copy-piece-size}. */
  private final int copyPieceBytes =
      (int)
          Math.min(
              Integer.MAX_VALUE,
              getContext()
                  .getSystem()
                  .settings()
                  .config()
                  .getBytes("cairn.replica.copy-piece-size")
                  .longValue());

  /** Props for a sharded leader: the namespace is the entity id, i.e. the actor's name. */
  public static Props props(NamespaceSettings settings) {
    return Props.create(NamespaceLeader.class, () -> new NamespaceLeader(settings));
  }

  /** What every namespace leader's persistence id starts with, the namespace following it. */
  private static final String PERSISTENCE_ID_PREFIX = "ns|";

  public static String persistenceIdOf(String namespace) {
    return PERSISTENCE_ID_PREFIX + namespace;
  }

  /** The namespace whose leader persists under {@code persistenceId}; null if none's does. */
  public static String namespaceOf(String persistenceId) {
    return persistenceId.startsWith(PERSISTENCE_ID_PREFIX)
        ? persistenceId.substring(PERSISTENCE_ID_PREFIX.length())
        : null;
  }

  private NamespaceLeader(NamespaceSettings settings) {
    this.namespace = URLDecoder.decode(getSelf().path().name(), StandardCharsets.UTF_8);
    this.settings = settings;
    this.keyspace = new Keyspace(settings.limits());
    this.state = KeyspaceState.empty(Namespaces.DEFAULT.equals(namespace));
  }

  @Override
  public void preStart() throws Exception {
    leaders.started();
    hub = getContext().actorOf(WatchHub.props(), "watch-hub");
    super.preStart();
    log.debug("namespace {}: leader started, recovering", namespace);
  }

  /**
   * A hub that failed has lost its registrations; restarted in place it would keep its name and its
   * subscribers would never learn that their watches are registered nowhere. Escalating restarts
   * this leader instead, which stops the hub (its subscribers see it terminate and subscribe again)
   * and starts a fresh one.
   */
  @Override
  public SupervisorStrategy supervisorStrategy() {
    return HUB_FAILURE_RESTARTS_LEADER;
  }

  private static final SupervisorStrategy HUB_FAILURE_RESTARTS_LEADER =
      new OneForOneStrategy(
          false, DeciderBuilder.matchAny(e -> SupervisorStrategy.escalate()).build());

  @Override
  public void postStop() throws Exception {
    leaders.unregister(namespace, getSelf());
    leaders.stopped();
    // A successor may take over; reads must not be answered from this state any more.
    state.close();
    super.postStop();
  }

  /** A snapshot is stored under the revision it was taken at, which is its sequence number. */
  @Override
  public long snapshotSequenceNr() {
    return snapshotRevision;
  }

  @Override
  public String persistenceId() {
    return persistenceIdOf(namespace);
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

  // ------------------------------------------------------------------ recovery

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(
            SnapshotOffer.class,
            offer -> {
              state = KeyspaceState.fromSnapshot((KeyspaceSnapshot) offer.snapshot());
              lastSnapshotRevision = state.revision();
              lastSnapshotVersions = state.retainedVersions();
              recent.clear();
            })
        .match(
            Event.class,
            e -> {
              Keyspace.apply(state, e);
              remember(e);
            })
        .match(RecoveryCompleted.class, done -> onRecovered())
        .build();
  }

  private void onRecovered() {
    if (state.revision() != lastSequenceNr()) {
      throw new IllegalStateException(
          "namespace "
              + namespace
              + ": revision "
              + state.revision()
              + " differs from journal sequence number "
              + lastSequenceNr());
    }
    long now = System.nanoTime();
    // Every lease gets its full TTL again: a restart or failover must not expire sessions en masse.
    state.leaseTtls().forEach((id, ttl) -> deadlines.set(id, now + seconds(ttl)));
    timers().startTimerWithFixedDelay(TICK_KEY, new Tick(), settings.tickInterval());
    armIdleTimeout();
    // Everything recovered is durable: other threads may read it (see KeyspaceState).
    state.publish(state.revision());
    barrier = readBarrier();
    leaders.register(namespace, getSelf(), state, barrier);
    // A namespace that does not exist is no news to an operator (a client named it, or it was
    // deleted).
    log.log(
        state.active() ? Logging.InfoLevel() : Logging.DebugLevel(),
        "namespace {} recovered at revision {} with {} keys and {} leases",
        namespace,
        state.revision(),
        state.liveKeys(),
        state.leaseCount());
  }

  /**
   * This incarnation's read barrier: none when the journal cannot have a second writer, else one
   * that probes the journal for the newest event and its writer (see {@link ReadBarrier}).
   */
  private ReadBarrier readBarrier() {
    Config root = getContext().getSystem().settings().config();
    if (!NamespaceSettings.readBarrier(root, journalId)) {
      return ReadBarrier.NONE;
    }
    ActorRef journal =
        Persistence.get(getContext().getSystem()).journalFor(journalId, ConfigFactory.empty());
    ActorRef self = getSelf();
    return new ReadBarrier(
        journal,
        persistenceId(),
        lastSequenceNr(),
        // Pekko's own writer uuid, stamped on every event this incarnation appends; Scala's
        // package-private accessor is public in the bytecode.
        org$apache$pekko$persistence$Eventsourced$$writerUuid(),
        settings.askTimeout(),
        getContext().getDispatcher(),
        () -> self.tell(new Superseded(), ActorRef.noSender()));
  }

  // ------------------------------------------------------------------ commands

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Request.class, r -> handle(r, getSender()))
        .match(Confirmed.class, this::confirmed)
        .match(org.apache.pekko.actor.Terminated.class, t -> replicas.remove(t.getActor()))
        .match(Superseded.class, s -> superseded())
        .match(Tick.class, t -> tick())
        .match(
            ReceiveTimeout.class,
            t -> {
              if (mayPassivate()) {
                // Absent or idle namespaces must not pin a leader in memory for ever.
                leaders.unregister(namespace, getSelf());
                getContext().getParent().tell(new ShardRegion.Passivate(new Stop()), getSelf());
              }
            })
        .match(
            Stop.class,
            s -> {
              // Not a PoisonPill: writes still in flight are acknowledged (and replied to) first;
              // nothing after this is executed, and callers on this node go through the shard
              // region again (which holds their requests for the next leader).
              stopping = true;
              leaders.unregister(namespace, getSelf());
              deferAsync(s, done -> getContext().stop(getSelf()));
            })
        // A saved snapshot deletes no events: the cluster's snapshot store starts a recovery from a
        // replica's state at any revision and replays the journal after it
        // (ReplicaFirstSnapshotStore).
        .match(SaveSnapshotSuccess.class, s -> {})
        .match(
            SaveSnapshotFailure.class,
            f -> {
              if (f.cause() instanceof SnapshotSkippedException) {
                // the snapshot store logs skipping once, not once per namespace and snapshot
                log.debug("namespace {}: {}", namespace, f.cause().getMessage());
              } else {
                log.warning("namespace {}: snapshot failed: {}", namespace, f.cause());
              }
            })
        .build();
  }

  private void handle(Request request, ActorRef replyTo) {
    if (stopping && request instanceof Ask<?>) {
      // Told to stop (a hand-off or a passivation): what comes now is not executed, and the
      // caller learns so at once (a retry reaches the next leader) rather than at its timeout.
      replyTo.tell(
          new NotExecuted("the namespace's leader is handing over or stopping"), getSelf());
      return;
    }
    if (!barrier.isNone() && needsBarrier(request)) {
      ActorRef self = getSelf();
      barrier
          .confirm()
          .whenComplete(
              (current, failure) ->
                  self.tell(
                      new Confirmed(request, replyTo, Boolean.TRUE.equals(current), failure),
                      ActorRef.noSender()));
      return;
    }
    serve(request, replyTo);
  }

  /**
   * Reads that promise every acknowledged write, and lease renewals (which a successor would not
   * know of), are answered only by a leader that has confirmed it has no successor.
   */
  private static boolean needsBarrier(Request request) {
    return request instanceof Query
        || request instanceof KeepAlive
        || request instanceof KeepAliveMany
        || request instanceof LeaseTimeToLive;
  }

  private void confirmed(Confirmed c) {
    if (c.failure() != null) {
      c.replyTo().tell(ReadBarrier.unconfirmed(state.published(), c.failure()), getSelf());
    } else if (!c.current()) {
      c.replyTo().tell(notLeader(), getSelf());
    } else {
      serve(c.request(), c.replyTo());
    }
  }

  private Reply.Rejected notLeader() {
    return new Reply.Rejected(
        Math.max(0, state.published()),
        Rejection.of(
            ErrorCode.NOT_LEADER_RETRY,
            "namespace " + namespace + " has a newer leader; retry to reach it"));
  }

  /**
   * A successor has written to the journal: this incarnation's state is stale. Nothing more is
   * answered from it; anything in flight is refused (its appends will be fenced anyway).
   */
  private void superseded() {
    log.warning(
        "namespace {}: a newer leader has written to the journal; this one stops", namespace);
    leaders.unregister(namespace, getSelf());
    answerWaiting(ErrorCode.NOT_LEADER_RETRY, "namespace " + namespace + " has a newer leader");
    getContext().stop(getSelf());
  }

  private void serve(Request request, ActorRef replyTo) {
    if (request instanceof Write w) {
      write(w.command(), replyTo);
    } else if (request instanceof Query q) {
      query(q.read(), replyTo);
    } else if (request instanceof KeepAlive k) {
      keepAlive(k.leaseId(), replyTo);
    } else if (request instanceof KeepAliveMany k) {
      keepAliveMany(k.leaseIds(), replyTo);
    } else if (request instanceof LeaseTimeToLive t) {
      timeToLive(t.leaseId(), replyTo);
    } else if (request instanceof Subscribe s) {
      subscribe(s);
    } else if (request instanceof Unsubscribe u) {
      unsubscribe(u);
    } else if (request instanceof Progress) {
      replyWhenDurable(replyTo, new Reply.ProgressReply(state.revision()));
    } else if (request instanceof WatchProgress p) {
      watchProgress(p);
    } else if (request instanceof Replicate r) {
      replicate(r);
    } else {
      throw new IllegalStateException("unhandled " + request);
    }
  }

  private void write(Command command, ActorRef replyTo) {
    expireDueLeases();
    decideAndPersist(command, replyTo);
  }

  private void decideAndPersist(Command command, ActorRef replyTo) {
    Decision decision = keyspace.decide(state, command);
    if (decision instanceof Decision.Rejected r) {
      // Even a refusal may reflect writes still in flight, so it waits for them too.
      replyWhenDurable(replyTo, new Reply.Rejected(state.revision(), r.rejection()));
      return;
    }
    Decision.Accepted accepted = (Decision.Accepted) decision;
    List<Event> events = accepted.events();
    if (events.isEmpty()) {
      replyWhenDurable(replyTo, accepted.reply());
      return;
    }
    if (!journals.writable(journalId)) {
      // Refused before it is applied: nothing of it is seen, and the leader need not restart.
      refuseUnwritable(replyTo);
      return;
    }
    Waiting caller = replyTo == null ? null : awaiting(replyTo, true);
    List<List<WatchEvent>> changes = new ArrayList<>(events.size());
    for (Event e : events) {
      List<WatchEvent> ch = new ArrayList<>();
      Keyspace.apply(state, e, ch::add);
      changes.add(ch);
      trackLeases(e);
      remember(e);
    }
    int[] confirmed = {0};
    persistAllAsync(
        events,
        e -> {
          // Durable now: readable by published reads, before anyone is told of it.
          state.publish(e.revision());
          publish(e, changes.get(confirmed[0]++));
          if (confirmed[0] == events.size() && replyTo != null) {
            waiting.removeFirstOccurrence(caller);
            replyTo.tell(remoteReplies.fit(replyTo, accepted.reply()), getSelf());
          }
        });
    // A snapshot costs the whole state (every retained version) to copy and write: waiting for as
    // many events as the last one held keeps that cost a constant per event, however big the state.
    long every = Math.max(settings.snapshotEvery(), lastSnapshotVersions);
    if (state.revision() - lastSnapshotRevision >= every) {
      // Copied now, saved once everything it contains is durable, under its own revision.
      KeyspaceSnapshot snapshot = state.toSnapshot();
      lastSnapshotRevision = snapshot.revision();
      lastSnapshotVersions = state.retainedVersions();
      deferAsync(
          snapshot,
          s -> {
            snapshotRevision = s.revision();
            saveSnapshot(s);
          });
    }
  }

  /**
   * An absent namespace's leader stops after {@code absent-idle} without requests; an existing one
   * after {@code passivate-idle}, unless it must keep running (see {@link #mayPassivate}).
   */
  private void armIdleTimeout() {
    if (!state.active()) {
      getContext().setReceiveTimeout(settings.absentIdle());
    } else if (settings.passivateIdle().isZero() || Namespaces.DEFAULT.equals(namespace)) {
      getContext().cancelReceiveTimeout();
    } else {
      getContext().setReceiveTimeout(settings.passivateIdle());
    }
  }

  /**
   * True when this leader may stop after an idle spell. Leases keep it running: their deadlines
   * live in this leader's memory, and a restart would renew them all. Watches keep it running too:
   * their connections send a {@link WatchProgress} every progress interval, which counts as a
   * request.
   */
  private boolean mayPassivate() {
    return !state.active() || state.leaseCount() == 0;
  }

  private void trackLeases(Event e) {
    if (e instanceof Event.LeaseGranted g) {
      deadlines.set(g.id(), System.nanoTime() + seconds(g.ttlSeconds()));
    } else if (e instanceof Event.LeaseRevoked r) {
      deadlines.remove(r.id());
    } else if (e instanceof Event.NamespaceDeleted) {
      deadlines.clear();
      armIdleTimeout();
    } else if (e instanceof Event.NamespaceCreated) {
      armIdleTimeout();
    }
  }

  private void query(Read read, ActorRef replyTo) {
    replyWhenDurable(replyTo, keyspace.query(state, read));
  }

  private void keepAlive(long id, ActorRef replyTo) {
    if (!state.active()) {
      replyWhenDurable(replyTo, namespaceNotFound());
      return;
    }
    expireDueLeases();
    long ttl = state.leaseTtl(id);
    if (ttl < 0) {
      replyWhenDurable(replyTo, leaseNotFound(id));
      return;
    }
    deadlines.set(id, System.nanoTime() + seconds(ttl));
    replyWhenDurable(replyTo, new Reply.KeepAliveReply(state.revision(), id, ttl));
  }

  private void keepAliveMany(List<Long> ids, ActorRef replyTo) {
    if (!state.active()) {
      replyWhenDurable(replyTo, namespaceNotFound());
      return;
    }
    expireDueLeases();
    long now = System.nanoTime();
    List<Long> missing = new ArrayList<>();
    for (long id : ids) {
      long ttl = state.leaseTtl(id);
      if (ttl < 0) {
        missing.add(id);
      } else {
        deadlines.set(id, now + seconds(ttl));
      }
    }
    replyWhenDurable(replyTo, new Reply.KeepAliveManyReply(state.revision(), missing));
  }

  private void timeToLive(long id, ActorRef replyTo) {
    expireDueLeases();
    Reply info = keyspace.query(state, new Read.LeaseInfo(id));
    if (info instanceof Reply.LeaseInfoReply li) {
      long remainingNanos = deadlines.deadline(id) - System.nanoTime();
      long remaining = Math.max(0, (remainingNanos + 999_999_999L) / 1_000_000_000L);
      replyWhenDurable(
          replyTo,
          new Reply.LeaseStatusReply(
              li.revision(), id, remaining, li.grantedTtlSeconds(), li.keys()));
    } else if (info instanceof Reply.Rejected r) {
      replyWhenDurable(replyTo, r);
    } else {
      throw new IllegalStateException("unhandled " + info);
    }
  }

  private Reply.Rejected namespaceNotFound() {
    return new Reply.Rejected(
        state.revision(),
        Rejection.of(ErrorCode.NAMESPACE_NOT_FOUND, "namespace " + namespace + " does not exist"));
  }

  private Reply.Rejected leaseNotFound(long id) {
    return new Reply.Rejected(
        state.revision(), Rejection.of(ErrorCode.LEASE_NOT_FOUND, "lease " + id + " not found"));
  }

  private void tick() {
    expireDueLeases();
    String expired = expiries.due(namespace);
    if (expired != null) {
      log.info(expired);
    }
    long retain = settings.retainRevisions();
    if (retain > 0 && state.revision() - state.compactRevision() > 2 * retain) {
      decideAndPersist(new Command.Compact(state.revision() - retain), null);
    }
  }

  private void expireDueLeases() {
    long now = System.nanoTime();
    if (!deadlines.anyDue(now) || !journals.writable(journalId)) {
      return; // due leases stay due and expire once the journal can write again
    }
    for (long id : deadlines.due(now)) {
      if (state.hasLease(id)) {
        long keysBefore = state.liveKeys();
        decideAndPersist(new Command.ExpireLease(id), null);
        expiries.add(id, keysBefore - state.liveKeys(), state.revision());
        LEASES_EXPIRED.increment();
      }
    }
  }

  /**
   * Leases expiring together (a fleet of clients gone at once) make one log line, not one each: the
   * expiries of consecutive ticks are gathered and said when a tick adds none, or after a second.
   */
  private static final class Expiries {
    int leases;
    long keys;
    long firstRevision;
    long lastRevision;
    long since;
    int atLastTick;
    final StringBuilder ids = new StringBuilder();

    void add(long id, long deletedKeys, long revision) {
      if (leases == 0) {
        firstRevision = revision;
        since = System.nanoTime();
        ids.setLength(0);
      }
      if (leases < 5) {
        ids.append(leases == 0 ? "" : ", ").append(id);
      } else if (leases == 5) {
        ids.append(", ...");
      }
      leases++;
      keys += deletedKeys;
      lastRevision = revision;
    }

    /** The line to log at this tick, or null. */
    String due(String namespace) {
      if (leases == 0) {
        return null;
      }
      boolean quiet = leases == atLastTick;
      atLastTick = leases;
      if (!quiet && System.nanoTime() - since < 1_000_000_000L) {
        return null;
      }
      String line =
          String.format(
              "namespace %s: %d lease(s) expired (ids %s), deleting %d key(s) in revisions %d..%d",
              namespace, leases, ids, keys, firstRevision, lastRevision);
      leases = 0;
      keys = 0;
      atLastTick = 0;
      return line;
    }
  }

  private final Expiries expiries = new Expiries();

  private static final io.micrometer.core.instrument.Counter LEASES_EXPIRED =
      io.micrometer.core.instrument.Counter.builder("cairn.lease.expired")
          .description("Leases expired (not revoked), all namespaces")
          .register(io.micrometer.core.instrument.Metrics.globalRegistry);

  // ------------------------------------------------------------------ watches

  private void subscribe(Subscribe s) {
    long from = s.fromRevision() == 0 ? state.revision() + 1 : s.fromRevision();
    Reply history = keyspace.query(state, new Read.History(s.key(), s.rangeEnd(), from, 0));
    long revision = state.revision();
    deferAsync(
        s,
        ignored -> {
          if (history instanceof Reply.Rejected r) {
            WatchRefusal refusal =
                r.code() == ErrorCode.COMPACTED
                    ? new WatchCompacted(s.watchId(), r.rejection().revision())
                    : new WatchRefused(s.watchId(), r.rejection());
            s.subscriber().tell(refusal, getSelf());
            return;
          }
          hub.tell(
              new WatchHub.Register(
                  s.subscriber(),
                  s.watchId(),
                  s.key(),
                  s.rangeEnd(),
                  revision,
                  ((Reply.HistoryReply) history).events()),
              getSelf());
        });
  }

  /**
   * The hub gets it in the same deferAsync order as the registrations: a Register still waiting for
   * a write in flight would otherwise arrive after its Unregister and leak in the hub.
   */
  private void unsubscribe(Unsubscribe u) {
    deferAsync(
        u, ignored -> hub.tell(new WatchHub.Unregister(u.subscriber(), u.watchId()), getSelf()));
  }

  private void watchProgress(WatchProgress p) {
    long revision = state.revision();
    deferAsync(
        p, ignored -> hub.tell(new WatchHub.ProgressMark(p.subscriber(), revision), getSelf()));
  }

  private void publish(Event e, List<WatchEvent> changes) {
    for (ActorRef r : replicas) {
      r.tell(new Replicated(e), getSelf());
    }
    if (e instanceof Event.NamespaceDeleted) {
      hub.tell(new WatchHub.EndAll("namespace deleted"), getSelf());
    } else if (!changes.isEmpty()) {
      hub.tell(new WatchHub.Committed(e.revision(), changes), getSelf());
    }
  }

  // ------------------------------------------------------------------ replicas

  private void remember(Event e) {
    if (recentLimit > 0) {
      if (recent.size() == recentLimit) {
        recent.removeFirst();
      }
      recent.addLast(e);
    }
  }

  /**
   * Registers a replica once everything decided so far is durable, sending it first what it lacks
   * up to the current revision R: the events it asked for when they are among the recent ones, else
   * a copy of the state at R taken now (the state runs ahead of the journal, so it cannot be copied
   * later). Later events reach it from the persist handlers, which run after this deferAsync.
   */
  private void replicate(Replicate r) {
    long revision = state.revision();
    long from = r.fromRevision();
    List<ReplicaUpdate> answer = new ArrayList<>();
    if (from == revision + 1) {
      answer.add(new ReplicaSync(revision, 0)); // current: nothing to send
    } else if (from > 0
        && from <= revision
        && !recent.isEmpty()
        && recent.peekFirst().revision() <= from) {
      answer.add(new ReplicaSync(revision, 0));
      for (Event e : recent) {
        if (e.revision() >= from) {
          answer.add(new Replicated(e));
        }
      }
    } else {
      List<KeyspaceSnapshot> pieces = ReplicaCopies.split(state.toSnapshot(), copyPieceBytes);
      answer.add(new ReplicaSync(revision, pieces.size()));
      for (int i = 0; i < pieces.size(); i++) {
        answer.add(new ReplicaCopy(i, pieces.get(i)));
      }
    }
    deferAsync(
        answer,
        a -> {
          a.forEach(m -> r.replica().tell(m, getSelf()));
          if (replicas.add(r.replica())) {
            getContext().watch(r.replica());
          }
        });
  }

  // ------------------------------------------------------------------ plumbing

  private void replyWhenDurable(ActorRef replyTo, Reply reply) {
    if (replyTo != null) {
      Waiting caller = awaiting(replyTo, false);
      deferAsync(
          reply,
          r -> {
            waiting.removeFirstOccurrence(caller);
            replyTo.tell(remoteReplies.fit(replyTo, r), getSelf());
          });
    }
  }

  private Waiting awaiting(ActorRef replyTo, boolean write) {
    Waiting caller = new Waiting(replyTo, write);
    waiting.addLast(caller);
    return caller;
  }

  private void refuseUnwritable(ActorRef replyTo) {
    if (replyTo == null) {
      return; // a lease expiry or compaction: tried again on a later tick
    }
    JournalCondition c = journals.condition(journalId);
    String why = c == null ? "the journal cannot write" : c.describe();
    ErrorCode code =
        c != null && c.state() == JournalCondition.State.NO_SPACE
            ? ErrorCode.INSUFFICIENT_STORAGE
            : ErrorCode.UNAVAILABLE;
    replyWhenDurable(
        replyTo,
        new Reply.Rejected(state.revision(), Rejection.of(code, "write not made durable: " + why)));
  }

  @Override
  public void onPersistFailure(Throwable cause, Object event, long seqNr) {
    // Pekko stops the leader after this; its recovery reads what is really in the journal.
    ErrorCode code = failureCode(cause);
    log.warning(
        "namespace {}: journal write of revision {} failed ({}); answering the waiting requests"
            + " with {} and restarting",
        namespace,
        seqNr,
        rootMessage(cause),
        code.wire());
    // Before anyone hears of it: requests sent after the answer must not reach this leader.
    leaders.unregister(namespace, getSelf());
    answerWaiting(code, "write not made durable: " + rootMessage(cause));
  }

  /**
   * The journal could not be read (Cassandra unreachable or slow): one line, not Pekko's ERROR with
   * a stack trace, since every request to the namespace starts another recovery while the outage
   * lasts. The leader stops; the requests that waited for the recovery get no answer and time out
   * ({@code timeout}, 503); its shard starts it again after {@code
   * pekko.cluster.sharding.entity-restart-backoff} (a remembered leader) or at the next request.
   */
  @Override
  public void onRecoveryFailure(Throwable cause, scala.Option<Object> event) {
    leaders.unregister(namespace, getSelf());
    if (event.isDefined()) {
      // An event that cannot be applied is a bug or a corrupt log, not an outage.
      log.error(cause, "namespace {}: recovery failed at event {}", namespace, event.get());
    } else {
      log.warning(
          "namespace {}: recovery failed, the journal did not answer ({}); it starts again after"
              + " the entity restart backoff or at the next request",
          namespace,
          rootMessage(cause));
    }
  }

  @Override
  public void onPersistRejected(Throwable cause, Object event, long seqNr) {
    // The event is already applied to the state; continuing would serve a state the log lacks.
    log.error(cause, "namespace {}: journal rejected event {}; restarting", namespace, seqNr);
    answerWaiting(ErrorCode.UNAVAILABLE, "the journal rejected a write: " + rootMessage(cause));
    getContext().stop(getSelf());
  }

  /**
   * Answers everyone still waiting: writes with {@code code}, everything else (reads queued behind
   * the failed write) with {@code unavailable}, which a retry after the restart answers.
   */
  private void answerWaiting(ErrorCode code, String detail) {
    long durable = Math.max(0, state.published());
    for (Waiting w : waiting) {
      ErrorCode c = w.write() ? code : ErrorCode.UNAVAILABLE;
      w.replyTo().tell(new Reply.Rejected(durable, Rejection.of(c, detail)), getSelf());
    }
    waiting.clear();
  }

  private static ErrorCode failureCode(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof JournalUnwritableException u) {
        return u.noSpace() ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.UNAVAILABLE;
      }
      if (t instanceof FencedAppendException) {
        return ErrorCode.NOT_LEADER_RETRY;
      }
    }
    return ErrorCode.UNAVAILABLE;
  }

  /** The journal's own account of a failure (it names the journal and its directory), if any. */
  private static String rootMessage(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof JournalUnwritableException || t instanceof FencedAppendException) {
        return t.getMessage();
      }
    }
    Throwable t = cause;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }

  /** The journal plugin id this leader writes to, with an empty setting resolved to the default. */
  private String resolvedJournalPluginId() {
    String id = journalPluginId();
    return id.isEmpty()
        ? getContext().getSystem().settings().config().getString("pekko.persistence.journal.plugin")
        : id;
  }

  private static long seconds(long s) {
    return Duration.ofSeconds(s).toNanos();
  }
}
