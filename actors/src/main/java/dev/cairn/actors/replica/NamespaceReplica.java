package dev.cairn.actors.replica;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.namespace.ReplicaCopies;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.SupervisorStrategy;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;

/**
 * This node's replica of one namespace: a keyspace state of its own, fed by the committed events
 * its leader publishes, applied in revision order with the same pure {@link Keyspace#apply} the
 * leader uses; it answers serializable reads and the node's watches.
 *
 * <p><b>Catching up.</b> It asks the leader to {@link NamespaceLeader.Replicate replicate} from the
 * revision after the last one it applied; the leader answers with a {@link
 * NamespaceLeader.ReplicaSync} (the missing events, or a copy of its state when it no longer holds
 * them) and then sends every committed event. An event that is not the next revision is a gap: the
 * replica ignores it and asks again from where it is. When the leader stops (a failure, a
 * rebalance, the node's death) the replica asks again, shortly, which reaches (and, if need be,
 * starts) the namespace's next leader, recovered from the journal. Only events are applied that the
 * leader published, i.e. that are durable; so the replica may lag but never shows what a crash
 * could take back, and never goes back in time.
 *
 * <p><b>Watches.</b> The replica registers the node's watches with its own {@link WatchHub} and
 * feeds it each applied revision, exactly as a leader feeds its hub: history from this state, then
 * live changes, from one sender, in order. So a watch's stream does not depend on which leader runs
 * or where: a leader failover is a pause. Only when the replica replaces its whole state (it missed
 * more events than the leader kept) does it replace its hub: each watch then sees the hub stop and
 * subscribes again from the revision after the last one it was handed, as after a leader stop on a
 * single node, and gets the missed changes as history from the new state.
 *
 * <p>Requests that arrive before the first catch-up wait for it.
 */
public final class NamespaceReplica extends AbstractActorWithTimers {

  /** A read answered from the replica's state (node-local: never crosses nodes). */
  public record Query(Read read) implements NoSerializationVerificationNeeded {}

  /**
   * Asks for a copy of this replica's state, to start the namespace's leader from: answered with an
   * {@code Optional<KeyspaceSnapshot>}, empty before the first catch-up (node-local).
   */
  public record StateCopy() implements NoSerializationVerificationNeeded {}

  private record Resync() {}

  private record Check() {}

  private record Waiting(Object message, ActorRef sender) {}

  /** A copy of the leader's state being received: {@code parts} pieces at {@code revision}. */
  private static final class Copy {
    final long revision;
    final int parts;
    final List<KeyspaceSnapshot> pieces = new ArrayList<>();

    Copy(long revision, int parts) {
      this.revision = revision;
      this.parts = parts;
    }
  }

  /** The copy being received, or null. */
  private Copy copy;

  private static final String RESYNC = "resync";
  private static final String CHECK = "check";

  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final String namespace;
  private final Namespaces namespaces;
  private final Keyspace keyspace;
  private final ReplicaSettings settings;
  private final Replicas.View view;
  private final Replicas replicas;

  /** Null until the first catch-up. */
  private KeyspaceState state;

  /** The leader this replica takes events from; null while it has none (asking, or idle). */
  private ActorRef leader;

  /** A {@link NamespaceLeader.Replicate} is out and not answered yet. */
  private boolean asking;

  /** Why this replica is stopping (its namespace is gone), or null while it serves. */
  private String leaving;

  private ActorRef hub;
  private long hubs;
  private final List<Waiting> waiting = new ArrayList<>();

  static Props props(
      String namespace,
      Namespaces namespaces,
      Keyspace keyspace,
      ReplicaSettings settings,
      Replicas.View view,
      Replicas replicas) {
    return Props.create(
        NamespaceReplica.class,
        () -> new NamespaceReplica(namespace, namespaces, keyspace, settings, view, replicas));
  }

  private NamespaceReplica(
      String namespace,
      Namespaces namespaces,
      Keyspace keyspace,
      ReplicaSettings settings,
      Replicas.View view,
      Replicas replicas) {
    this.namespace = namespace;
    this.namespaces = namespaces;
    this.keyspace = keyspace;
    this.settings = settings;
    this.view = view;
    this.replicas = replicas;
  }

  /** A hub that fails is stopped, not restarted in place: its watches must see it go. */
  @Override
  public SupervisorStrategy supervisorStrategy() {
    return SupervisorStrategy.stoppingStrategy();
  }

  @Override
  public void preStart() {
    hub = newHub();
    ask();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(NamespaceLeader.ReplicaSync.class, this::sync)
        .match(NamespaceLeader.ReplicaCopy.class, this::copied)
        .match(NamespaceLeader.Replicated.class, this::replicated)
        .match(Query.class, q -> whenCurrent(q, getSender()))
        .match(NamespaceLeader.WatchRequest.class, r -> whenCurrent(r, getSender()))
        .match(Terminated.class, this::terminated)
        .match(
            StateCopy.class,
            c ->
                getSender()
                    .tell(
                        state == null ? Optional.empty() : Optional.of(state.toSnapshot()),
                        getSelf()))
        .match(Resync.class, r -> ask())
        .match(
            Check.class,
            c -> {
              if (asking) {
                // Lost (sent to a leader that was stopping) or slow: ask again.
                ask();
              }
            })
        .build();
  }

  // ------------------------------------------------------------------ catching up

  private void ask() {
    if (leaving != null) {
      return;
    }
    asking = true;
    long from = state == null ? 0 : state.revision() + 1;
    namespaces.replicate(namespace, new NamespaceLeader.Replicate(from, getSelf()), getSelf());
    timers().startSingleTimer(CHECK, new Check(), settings.resyncAfter());
  }

  /**
   * The start of the leader's answer: from now on this replica follows its sender; what follows is
   * a copy of the state in pieces, or the events the replica lacks, then live events.
   */
  private void sync(NamespaceLeader.ReplicaSync s) {
    if (leaving != null) {
      return;
    }
    ActorRef from = getSender();
    if (!from.equals(leader)) {
      if (leader != null) {
        getContext().unwatch(leader);
      }
      leader = from;
      getContext().watch(leader);
      view.leader = leader.path().address();
    }
    asking = false;
    timers().cancel(CHECK);
    copy = s.copyParts() > 0 ? new Copy(s.revision(), s.copyParts()) : null;
    if (state == null && copy == null) {
      ask(); // an answer to a question asked before this replica had a state: ask from scratch
      return;
    }
    caughtUp();
  }

  /** A piece of a copy of the leader's state; the last one completes it. */
  private void copied(NamespaceLeader.ReplicaCopy c) {
    if (leaving != null) {
      return;
    }
    if (!getSender().equals(leader) || copy == null || c.part() != copy.pieces.size()) {
      if (copy != null) {
        log.warning(
            "namespace {}: replica got piece {} of a state copy out of order; asking again",
            namespace,
            c.part());
        copy = null;
        ask();
      }
      return;
    }
    copy.pieces.add(c.piece());
    if (copy.pieces.size() < copy.parts) {
      return;
    }
    long revision = copy.revision;
    KeyspaceSnapshot whole = ReplicaCopies.join(copy.pieces);
    copy = null;
    if (state != null && revision < state.revision()) {
      // Never back in time; a leader is never behind what it published, so this is a stale
      // answer (e.g. from a superseded leader): the replica keeps its state.
      log.warning(
          "namespace {}: replica at revision {} ignores a copy at revision {} from {}",
          namespace,
          state.revision(),
          revision,
          getSender());
    } else if (state == null || revision > state.revision()) {
      replaceState(KeyspaceState.fromSnapshot(whole));
    }
    caughtUp();
  }

  /** Serves the requests that waited for a state, in arrival order, before any later one. */
  private void caughtUp() {
    if (state == null || copy != null) {
      return;
    }
    List<Waiting> ready = new ArrayList<>(waiting);
    waiting.clear();
    ready.forEach(w -> whenCurrent(w.message(), w.sender()));
  }

  private void replicated(NamespaceLeader.Replicated r) {
    if (state == null || copy != null || !getSender().equals(leader)) {
      return; // from a leader this replica no longer follows (or a copy is incomplete)
    }
    Event e = r.event();
    if (e.revision() <= state.revision()) {
      return; // already applied (it came in a catch-up)
    }
    if (e.revision() > state.revision() + 1) {
      if (!asking) {
        log.warning(
            "namespace {}: replica at revision {} got revision {}; catching up",
            namespace,
            state.revision(),
            e.revision());
        ask();
      }
      return;
    }
    apply(e);
  }

  /** Applies the next event and hands its changes to the watches, as the leader does. */
  private void apply(Event e) {
    List<WatchEvent> changes = new ArrayList<>();
    Keyspace.apply(state, e, changes::add);
    state.publish(e.revision());
    if (e instanceof Event.NamespaceDeleted) {
      hub.tell(new WatchHub.EndAll("namespace deleted"), getSelf());
      leave("deleted");
    } else if (!changes.isEmpty()) {
      hub.tell(new WatchHub.Committed(e.revision(), changes), getSelf());
    }
  }

  /**
   * Takes a copy of the leader's state. If this replica had a state before, its watches missed the
   * changes in between: the hub is replaced, so each watch subscribes again from the revision after
   * its last and gets them as history.
   */
  private void replaceState(KeyspaceState fresh) {
    fresh.publish(fresh.revision());
    boolean had = state != null;
    if (had) {
      log.info(
          "namespace {}: replica caught up from a copy of the state at revision {} (was at {})",
          namespace,
          fresh.revision(),
          state.revision());
      replicas.fullCopies.incrementAndGet();
      getContext().stop(hub);
      hub = newHub();
    }
    state = fresh;
    view.state = fresh;
  }

  private ActorRef newHub() {
    ActorRef h = getContext().actorOf(WatchHub.props(), "watch-hub-" + ++hubs);
    getContext().watch(h);
    return h;
  }

  private void terminated(Terminated t) {
    if (t.getActor().equals(leader)) {
      leader = null;
      view.leader = null;
      if (state != null && state.active()) {
        timers().startSingleTimer(RESYNC, new Resync(), settings.afterLeaderStop());
      } else if (state != null && copy == null) {
        // A namespace that does not exist asks again only when someone names it: asking now would
        // start a leader that has nothing to lead. Its replica has nothing to serve either.
        leave("absent");
      }
    } else if (t.getActor().equals(hub) && leaving != null) {
      getContext().stop(getSelf());
    } else if (t.getActor().equals(hub)) {
      // The hub failed: its watches see it stop and subscribe again, with a new one.
      hub = newHub();
    }
  }

  /**
   * The namespace is gone ({@code why}: deleted, or absent with no leader): this replica leaves
   * {@link Replicas}, so that the next request naming the namespace starts a fresh one (after a
   * re-creation), stops its hub (whose watches were told the namespace was deleted) and then
   * itself. Until then it answers what reaches it from its state, in which the namespace does not
   * exist. The default namespace's replica never leaves.
   */
  private void leave(String why) {
    if (leaving != null || Namespaces.DEFAULT.equals(namespace)) {
      return;
    }
    leaving = why;
    log.debug("namespace {}: replica stops ({})", namespace, why);
    replicas.forget(namespace, getSelf());
    timers().cancelAll();
    if (leader != null) {
      getContext().unwatch(leader);
      leader = null;
    }
    List<Waiting> ready = new ArrayList<>(waiting);
    waiting.clear();
    ready.forEach(w -> whenCurrent(w.message(), w.sender()));
    hub.tell(PoisonPill.getInstance(), getSelf());
  }

  // ------------------------------------------------------------------ serving

  /**
   * Serves a read or watch request when the replica has a state to serve from; otherwise (not
   * caught up yet, or a namespace that did not exist and has no leader to follow) keeps the request
   * until it has.
   */
  private void whenCurrent(Object message, ActorRef sender) {
    if (leaving != null && message instanceof NamespaceLeader.Subscribe s) {
      // The namespace is gone: refused as the leader refuses it (namespace_not_found).
      subscribe(s);
    } else if (leaving != null) {
      if (message instanceof Query q) {
        sender.tell(keyspace.query(state, q.read()), getSelf());
      }
    } else if (state == null || copy != null || (leader == null && !state.active())) {
      waiting.add(new Waiting(message, sender));
      if (!asking && copy == null) {
        ask();
      }
    } else if (message instanceof Query q) {
      sender.tell(keyspace.query(state, q.read()), getSelf());
    } else if (message instanceof NamespaceLeader.WatchRequest r) {
      watchRequest(r, sender);
    } else {
      throw new IllegalStateException("unhandled " + message);
    }
  }

  private void watchRequest(NamespaceLeader.WatchRequest r, ActorRef sender) {
    if (r instanceof NamespaceLeader.Subscribe s) {
      subscribe(s);
    } else if (r instanceof NamespaceLeader.Unsubscribe u) {
      hub.tell(new WatchHub.Unregister(u.subscriber(), u.watchId()), getSelf());
    } else if (r instanceof NamespaceLeader.WatchProgress p) {
      hub.tell(new WatchHub.ProgressMark(p.subscriber(), state.revision()), getSelf());
    } else {
      throw new IllegalStateException("unhandled " + r + " from " + sender);
    }
  }

  /** As the leader subscribes a watch: history from this state, then the hub's live changes. */
  private void subscribe(NamespaceLeader.Subscribe s) {
    long from = s.fromRevision() == 0 ? state.revision() + 1 : s.fromRevision();
    Reply history = keyspace.query(state, new Read.History(s.key(), s.rangeEnd(), from, 0));
    if (history instanceof Reply.Rejected r) {
      NamespaceLeader.WatchRefusal refusal =
          r.code() == ErrorCode.COMPACTED
              ? new NamespaceLeader.WatchCompacted(s.watchId(), r.rejection().revision())
              : new NamespaceLeader.WatchRefused(s.watchId(), r.rejection());
      s.subscriber().tell(refusal, getSelf());
      return;
    }
    hub.tell(
        new WatchHub.Register(
            s.subscriber(),
            s.watchId(),
            s.key(),
            s.rangeEnd(),
            state.revision(),
            ((Reply.HistoryReply) history).events()),
        getSelf());
  }
}
