package dev.cairn.http.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.Json;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its watches and its session's leases.
 *
 * <p><b>Back-pressure.</b> Messages go to the socket through a bounded queue. When it is full, each
 * watch holds its own messages back, in order, up to {@link WatchSettings#maxPendingPerWatch()};
 * one more and that watch is cancelled with reason {@code slow_consumer} (the client resumes from
 * its last revision), so a client that stops reading costs bounded memory.
 *
 * <p><b>Coalesced connections</b> ({@code ?coalesce=true}). When one revision gives the same events
 * (the same list from the hub, after this connection's filters, and the same prev_kv flag) to
 * several watches, they get one message naming them all ({@code watch_ids}). Such a message belongs
 * to several watches, so held-back messages are kept in one connection-wide FIFO instead of per
 * watch; when it exceeds its count ({@link WatchSettings#maxPendingPerWatch()}) or byte budget,
 * every watch with a message in it is cancelled with {@code slow_consumer} and the FIFO is dropped.
 *
 * <p><b>created</b> is sent when the watch's registration (its history up to the registration
 * revision) arrives from the hub, so it is never sent for a watch that is refused or compacted, and
 * once it is received every later change of the watch's range is on its way.
 *
 * <p><b>Session.</b> Leases granted or attached on the connection are kept alive by the server as
 * long as the client's messages (any, e.g. heartbeats) keep arriving within the lease's TTL. When
 * the client vanishes, keepalives stop and its leases expire after their TTL.
 */
final class WatchConnection<T> extends AbstractActorWithTimers {

  // ---- from the socket
  record Init() {}

  record Ack() {}

  record ClientText(String text) {}

  record ClientClosed() {}

  /** For an SSE stream: the single watch, created as the stream starts. */
  record StartWatch(String key, String rangeEnd, long startRevision) {}

  private record Flush() {}

  private record ProgressTick() {}

  /** Subscribes again the watches whose subscription got no answer in time. */
  private record ResubscribeCheck() {}

  /** The WebSocket's streams never started (the client went away before the upgrade). */
  private record NeverStarted() {}

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  /** The outcome of a session's lease request, piped back to this actor. */
  private sealed interface LeaseResult
      permits LeaseGranted, LeaseAttached, LeaseRevoked, LeasesRenewed, LeaseFailed {}

  private record LeaseGranted(Reply reply) implements LeaseResult {}

  private record LeaseAttached(Reply.KeepAliveResult reply) implements LeaseResult {}

  private record LeaseRevoked(Reply reply) implements LeaseResult {}

  /** The answer to renewing the session's due leases; a renewal that got none is retried later. */
  private record LeasesRenewed(Reply.KeepAliveManyResult reply) implements LeaseResult {}

  /** A grant, attach or revoke that got no answer; {@code request} names it to the client. */
  private record LeaseFailed(String request, Throwable cause) implements LeaseResult {}

  private static final class Watch<T> {
    /** The client's watch_id. */
    final long id;

    /**
     * The hub's name for this watch: unique over the connection's life, so that a delivery, a
     * refusal or a compaction notice still on its way for a cancelled watch never reaches a later
     * watch that reuses its watch_id. A watch that subscribes again (its hub stopped) gets a new
     * one, so nothing its old subscription still had on the way can reach it twice.
     */
    long subscription;

    final String key;
    final String rangeEnd;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;

    /** Events before this revision are not the watch's (a start revision in the future). */
    long startRevision;

    /** A hub registered the watch and {@code created} was sent (or held back). */
    boolean registered;

    /**
     * The hub the watch is registered with now; null while its subscription is on its way (first,
     * or again after that hub stopped with its leader). Only this hub's messages count for it.
     */
    ActorRef hub;

    /** When the current subscription was sent (System.nanoTime). */
    long subscribedAt;

    /**
     * Every change of the watch up to this revision has been handed to it by a hub (sent to the
     * socket or held back): a new subscription resumes right after it.
     */
    long received;

    /** Messages held back while the socket is full, each with the revision it completes (or 0). */
    final ArrayDeque<Held<T>> pending = new ArrayDeque<>();

    long pendingBytes;

    /**
     * Every change of the watch up to this revision has been handed to the socket; a cancel reports
     * it as last_revision, the point to resume after. Held-back messages do not count: a cancel
     * discards them.
     */
    long lastRevision;

    boolean active = true;

    /** Coalesced connections: entries of the connection's FIFO that complete this watch. */
    int held;

    /** Coalesced connections: the highest revision among those entries. */
    long heldRevision;

    Watch(
        long id,
        long subscription,
        String key,
        String rangeEnd,
        boolean prevKv,
        boolean noPut,
        boolean noDelete) {
      this.id = id;
      this.subscription = subscription;
      this.key = key;
      this.rangeEnd = rangeEnd;
      this.prevKv = prevKv;
      this.noPut = noPut;
      this.noDelete = noDelete;
    }
  }

  /** A held-back message (null: nothing to send, only the revision to complete). */
  private record Held<T>(T message, long revision) {}

  /**
   * A message in a coalesced connection's FIFO: it completes {@code revision} for each of {@code
   * members}. {@code cancel} is set on the {@code canceled} message of a watch that was cancelled
   * while messages of it were still held (it must not overtake them).
   */
  private record Queued<T>(
      T message, long revision, List<Watch<T>> members, long size, Cancel<T> cancel) {}

  private record Cancel<T>(Watch<T> watch, String reason, long compactRevision) {}

  /** The watches of one revision that get the same events: one message for all of them. */
  private static final class Group<T> {
    final List<WatchEvent> events;
    final boolean prevKv;
    final List<Watch<T>> members = new ArrayList<>(4);

    Group(List<WatchEvent> events, boolean prevKv) {
      this.events = events;
      this.prevKv = prevKv;
    }
  }

  private record SessionLease(long id, long ttlSeconds) {}

  /** When a session lease is next due for renewal; stale entries are skipped when popped. */
  private record Renewal(long dueNanos, long id) {}

  private static final Logger log = LoggerFactory.getLogger(WatchConnection.class);
  private final Namespaces namespaces;
  private final String namespace;

  /** The client's address, for the log. */
  private final String client;

  private final WatchMetrics metrics;
  private final BoundedSourceQueue<T> out;
  private final Encoder<T> encoder;
  private final WatchSettings settings;
  private final AtomicInteger openConnections;
  private final boolean closeWhenWatchEnds;
  private final boolean coalesce;

  /** The active watches by the client's watch_id. */
  private final Map<Long, Watch<T>> watches = new LinkedHashMap<>();

  /** The same watches by {@link Watch#subscription}, the id the hub knows them by. */
  private final Map<Long, Watch<T>> bySubscription = new HashMap<>();

  private long nextSubscription = 1;
  private final ArrayDeque<T> control = new ArrayDeque<>();

  /** Coalesced connections only: every held-back watch message, in order. */
  private final ArrayDeque<Queued<T>> fifo = new ArrayDeque<>();

  private final Encoder.Cache cache = new Encoder.Cache();

  /** Groups being gathered from one delivery (coalesced connections only); empty in between. */
  private final List<Group<T>> groups = new ArrayList<>();

  private final Map<List<WatchEvent>, Group<T>> byEvents = new IdentityHashMap<>();
  private final Map<List<WatchEvent>, Group<T>> byEventsWithPrev = new IdentityHashMap<>();
  private final Map<Long, SessionLease> leases = new HashMap<>();
  private final java.util.PriorityQueue<Renewal> renewals =
      new java.util.PriorityQueue<>((a, b) -> Long.compare(a.dueNanos(), b.dueNanos()));
  private long nextWatchId;
  private boolean flushScheduled;

  /** Slow-consumer cancellations not logged yet, and when the last line was. */
  private int slowSinceLog;

  private long lastSlowLog = System.nanoTime() - 2_000_000_000L;

  /**
   * Bytes of watch messages held back on this connection (control messages not included): in the
   * watches' pending queues, or in the FIFO of a coalesced connection.
   */
  private long heldBytes;

  static <T> Props props(
      Namespaces namespaces,
      String namespace,
      String client,
      WatchMetrics metrics,
      BoundedSourceQueue<T> out,
      Encoder<T> encoder,
      WatchSettings settings,
      AtomicInteger openConnections,
      boolean closeWhenWatchEnds,
      boolean coalesce) {
    return Props.create(
        WatchConnection.class,
        () ->
            new WatchConnection<>(
                namespaces,
                namespace,
                client,
                metrics,
                out,
                encoder,
                settings,
                openConnections,
                closeWhenWatchEnds,
                coalesce));
  }

  private WatchConnection(
      Namespaces namespaces,
      String namespace,
      String client,
      WatchMetrics metrics,
      BoundedSourceQueue<T> out,
      Encoder<T> encoder,
      WatchSettings settings,
      AtomicInteger openConnections,
      boolean closeWhenWatchEnds,
      boolean coalesce) {
    this.namespaces = namespaces;
    this.namespace = namespace;
    this.client = client;
    this.metrics = metrics;
    this.out = out;
    this.encoder = encoder;
    this.settings = settings;
    this.openConnections = openConnections;
    this.closeWhenWatchEnds = closeWhenWatchEnds;
    this.coalesce = coalesce;
  }

  @Override
  public void preStart() {
    timers().startTimerWithFixedDelay("progress", new ProgressTick(), settings.progressInterval());
    if (!closeWhenWatchEnds) {
      // A WebSocket connection is created before its streams run; if they never do (the client
      // dropped the connection before the 101), no ClientClosed ever comes: without this the
      // actor and its slot of cairn.watch.max-connections would leak.
      timers().startSingleTimer("started", new NeverStarted(), START_TIMEOUT);
    }
  }

  @Override
  public void postStop() {
    openConnections.decrementAndGet();
    if (slowSinceLog > 0) {
      log.warn(
          "watch connection {} namespace {}: {} more watches canceled (slow_consumer) before it"
              + " closed",
          client,
          namespace,
          slowSinceLog);
    }
    if (!watches.isEmpty()) {
      namespaces.tell(namespace, new NamespaceLeader.Unsubscribe(getSelf(), -1), getSelf());
    }
    try {
      out.complete();
    } catch (IllegalStateException e) {
      // Already completed: the client went away first (e.g. an SSE stream it dropped).
    }
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Init.class,
            i -> {
              timers().cancel("started");
              getSender().tell(new Ack(), getSelf());
            })
        .match(NeverStarted.class, n -> getContext().stop(getSelf()))
        .match(
            ClientText.class,
            t -> {
              onClientMessage(t.text());
              // Any message from the client renews its session's leases that are due.
              keepLeasesAlive();
              getSender().tell(new Ack(), getSelf());
            })
        .match(ClientClosed.class, c -> getContext().stop(getSelf()))
        .match(
            StartWatch.class,
            s ->
                create(
                    nextWatchId++, s.key(), s.rangeEnd(), s.startRevision(), false, false, false))
        .match(WatchHub.Deliveries.class, this::deliver)
        .match(Terminated.class, t -> hubStopped(t.getActor()))
        .match(ResubscribeCheck.class, c -> resubscribeOverdue())
        .match(WatchHub.Progress.class, this::progress)
        .match(WatchHub.Ended.class, e -> endAll(e.reason()))
        .match(
            NamespaceLeader.WatchCompacted.class,
            c -> {
              Watch<T> w = bySubscription.get(c.watchId());
              if (w != null) {
                cancel(w.id, "compacted", c.compactRevision());
              }
            })
        .match(
            NamespaceLeader.WatchRefused.class,
            r -> {
              Watch<T> w = bySubscription.get(r.watchId());
              if (w != null) {
                sendControl(encoder.error(r.rejection().code().wire(), r.rejection().detail()));
                cancel(w.id, r.rejection().code().wire(), 0);
              }
            })
        .match(Flush.class, f -> flush())
        .match(
            ProgressTick.class,
            t -> {
              if (!watches.isEmpty()) {
                namespaces.tell(namespace, new NamespaceLeader.WatchProgress(getSelf()), getSelf());
              }
            })
        .match(LeaseResult.class, this::leaseResult)
        .build();
  }

  // ------------------------------------------------------------- client messages

  private void onClientMessage(String text) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(text);
    } catch (Exception e) {
      sendControl(encoder.error(ErrorCode.MALFORMED_REQUEST.wire(), "message is not JSON"));
      return;
    }
    if (root == null || !root.isObject() || root.size() != 1) {
      sendControl(
          encoder.error(
              ErrorCode.MALFORMED_REQUEST.wire(),
              "a message is a JSON object with exactly one of create, cancel, progress,"
                  + " lease_grant, lease_attach, lease_revoke, heartbeat"));
      return;
    }
    String type = root.fieldNames().next();
    JsonNode body = root.get(type);
    try {
      switch (type) {
        case "create" -> onCreate(body);
        case "cancel" -> onCancel(body);
        case "progress" -> {
          requireObject(body, "progress");
          namespaces.tell(namespace, new NamespaceLeader.WatchProgress(getSelf()), getSelf());
        }
        case "heartbeat" -> {
          requireObject(body, "heartbeat");
          sendControl(encoder.message(Map.of("heartbeat", Map.of())));
        }
        case "lease_grant" -> onLeaseGrant(body);
        case "lease_attach" -> onLeaseAttach(body);
        case "lease_revoke" -> onLeaseRevoke(body);
        default ->
            throw new BadMessage(
                ErrorCode.MALFORMED_REQUEST, "unknown message type '" + type + "'");
      }
    } catch (BadMessage e) {
      sendControl(encoder.error(e.code.wire(), e.getMessage()));
    }
  }

  private void onCreate(JsonNode c) {
    requireObject(
        c,
        "create",
        "key",
        "prefix",
        "range_end",
        "start_revision",
        "prev_kv",
        "watch_id",
        "filters",
        "no_put",
        "no_delete");
    JsonNode keyNode = c.get("key");
    if (keyNode == null || !keyNode.isTextual()) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "create needs a key (string)");
    }
    String key = keyNode.asText();
    boolean prefix = bool(c, "prefix");
    String rangeEnd = null;
    if (c.has("range_end")) {
      if (prefix) {
        throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "use either prefix or range_end");
      }
      rangeEnd = text(c, "range_end");
      if (rangeEnd.equals("\0")) {
        rangeEnd = KeyRange.UNBOUNDED;
      }
    } else if (prefix) {
      rangeEnd = KeyRange.prefixEnd(key);
    }
    if (key.isEmpty() && rangeEnd == null) {
      throw new BadMessage(ErrorCode.EMPTY_KEY, "key must not be empty");
    }
    long start = number(c, "start_revision", 0);
    long id = c.has("watch_id") ? number(c, "watch_id", 0) : nextFreeId();
    boolean noPut = bool(c, "no_put");
    boolean noDelete = bool(c, "no_delete");
    JsonNode filters = c.get("filters");
    if (filters != null) {
      if (!filters.isArray()) {
        throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "filters must be an array");
      }
      for (JsonNode f : filters) {
        switch (f.asText().toLowerCase(java.util.Locale.ROOT)) {
          case "no_put", "noput" -> noPut = true;
          case "no_delete", "nodelete" -> noDelete = true;
          default ->
              throw new BadMessage(
                  ErrorCode.MALFORMED_REQUEST, "unknown filter '" + f.asText() + "'");
        }
      }
    }
    if (watches.containsKey(id)) {
      throw new BadMessage(ErrorCode.INVALID_ARGUMENT, "watch_id " + id + " is already in use");
    }
    if (watches.size() >= settings.maxWatchesPerConnection()) {
      throw new BadMessage(
          ErrorCode.TOO_MANY_WATCHES,
          "a connection may hold at most " + settings.maxWatchesPerConnection() + " watches");
    }
    create(id, key, rangeEnd, start, bool(c, "prev_kv"), noPut, noDelete);
  }

  private void create(
      long id,
      String key,
      String rangeEnd,
      long start,
      boolean prevKv,
      boolean noPut,
      boolean noDelete) {
    Watch<T> w = new Watch<>(id, nextSubscription++, key, rangeEnd, prevKv, noPut, noDelete);
    w.lastRevision = Math.max(0, start - 1);
    w.received = w.lastRevision;
    w.startRevision = start;
    watches.put(id, w);
    bySubscription.put(w.subscription, w);
    nextWatchId = Math.max(nextWatchId, id + 1);
    // "created" waits for the registration (see deliver): sent now, it would promise a watch the
    // leader may still refuse, and changes written right after it might precede the registration.
    subscribe(w);
  }

  /**
   * Sends the watch's subscription to its namespace's leader: from its start revision until it is
   * created, then from the revision after the last one it was handed. The registration (or a
   * refusal) is the answer; without one in time the watch subscribes again.
   */
  private void subscribe(Watch<T> w) {
    long from = w.registered ? w.received + 1 : w.startRevision;
    w.hub = null;
    w.subscribedAt = System.nanoTime();
    namespaces.tell(
        namespace,
        new NamespaceLeader.Subscribe(w.subscription, w.key, w.rangeEnd, from, getSelf()),
        getSelf());
    if (!timers().isTimerActive("resubscribe")) {
      timers().startSingleTimer("resubscribe", new ResubscribeCheck(), settings.resubscribeAfter());
    }
  }

  /** Subscribes {@code w} again under a new subscription id (the old one is dropped). */
  private void resubscribe(Watch<T> w) {
    bySubscription.remove(w.subscription);
    // In case the old subscription still registers (it was only slow): it must not stay behind.
    namespaces.tell(
        namespace, new NamespaceLeader.Unsubscribe(getSelf(), w.subscription), getSelf());
    w.subscription = nextSubscription++;
    bySubscription.put(w.subscription, w);
    subscribe(w);
  }

  /**
   * A hub stopped (with its leader): its registrations are gone. Every watch registered with it
   * subscribes again from the revision after the last one it was handed, so it goes on with no gap
   * and no duplicate once the namespace has a leader again.
   */
  private void hubStopped(ActorRef hub) {
    List<Watch<T>> affected = new ArrayList<>();
    for (Watch<T> w : watches.values()) {
      if (w.active && hub.equals(w.hub)) {
        affected.add(w);
      }
    }
    if (affected.isEmpty()) {
      return;
    }
    log.info(
        "watch connection {} namespace {}: leader stopped; {} watches subscribe again after their"
            + " last revision",
        client,
        namespace,
        affected.size());
    metrics.resubscribed(affected.size());
    affected.forEach(this::resubscribe);
  }

  private void resubscribeOverdue() {
    long now = System.nanoTime();
    long after = settings.resubscribeAfter().toNanos();
    boolean waiting = false;
    for (Watch<T> w : new ArrayList<>(watches.values())) {
      if (!w.active || w.hub != null) {
        continue;
      }
      if (now - w.subscribedAt >= after) {
        // Lost (e.g. sent to a leader that was stopping) or slow: ask again.
        resubscribe(w);
      }
      waiting = true;
    }
    if (waiting && !timers().isTimerActive("resubscribe")) {
      timers().startSingleTimer("resubscribe", new ResubscribeCheck(), settings.resubscribeAfter());
    }
  }

  private long nextFreeId() {
    while (watches.containsKey(nextWatchId)) {
      nextWatchId++;
    }
    return nextWatchId;
  }

  private void onCancel(JsonNode c) {
    requireObject(c, "cancel", "watch_id");
    if (!c.has("watch_id")) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "cancel needs a watch_id");
    }
    long id = number(c, "watch_id", 0);
    Watch<T> w = watches.get(id);
    if (w == null || !w.active) {
      throw new BadMessage(ErrorCode.WATCH_NOT_FOUND, "no watch with watch_id " + id);
    }
    cancel(id, "canceled", 0);
  }

  // ------------------------------------------------------------- deliveries

  private void deliver(WatchHub.Deliveries d) {
    cache.clear();
    ActorRef hub = getSender();
    for (WatchHub.Delivery delivery : d.deliveries()) {
      for (long watchId : delivery.watchIds()) {
        Watch<T> w = bySubscription.get(watchId);
        if (w == null) {
          // A subscription this connection dropped (cancelled, or replaced after a lost answer)
          // that registered all the same: the hub must stop delivering to it.
          hub.tell(new WatchHub.Unregister(getSelf(), watchId), getSelf());
          continue;
        }
        deliverTo(w, delivery, d.revision(), hub);
      }
    }
    // Nothing below comes back into deliver: the groups can be sent, then cleared.
    for (Group<T> g : groups) {
      sendGroup(g, d.revision());
    }
    groups.clear();
    byEvents.clear();
    byEventsWithPrev.clear();
  }

  /** Sends one watch its part of a delivery, or adds it to a group for a coalesced message. */
  private void deliverTo(Watch<T> w, WatchHub.Delivery delivery, long revision, ActorRef hub) {
    if (!w.active) {
      return;
    }
    if (delivery.history()) {
      // The registration: the hub delivers to the watch from here on; if it stops (with its
      // leader), the watch subscribes again.
      w.hub = hub;
      getContext().watch(hub);
      if (!w.registered) {
        // The watch exists from here on, and its history follows.
        w.registered = true;
        enqueue(w, encoder.created(w.id, w.startRevision), 0);
        if (!w.active) {
          return;
        }
      }
    } else if (!hub.equals(w.hub)) {
      return;
    }
    w.received = Math.max(w.received, revision);
    List<WatchEvent> events = filter(w, delivery.events());
    if (delivery.history()) {
      int chunk = settings.historyChunk();
      for (int i = 0; i < events.size(); ) {
        int end = Math.min(events.size(), i + chunk);
        // Never split a revision: a client resumes from a message's revision + 1.
        while (end < events.size()
            && events.get(end).revision() == events.get(end - 1).revision()) {
          end++;
        }
        List<WatchEvent> part = events.subList(i, end);
        long rev = end >= events.size() ? revision : part.get(part.size() - 1).revision();
        send(w, rev, part);
        if (!w.active) {
          break;
        }
        i = end;
      }
      if (w.active && events.isEmpty()) {
        // No change of this watch up to the registration's revision.
        w.lastRevision = Math.max(w.lastRevision, revision);
      }
    } else if (!events.isEmpty()) {
      if (!coalesce) {
        send(w, revision, events);
        return;
      }
      // Same list (identity) and same prev_kv flag: the same message, so one for all of them.
      Map<List<WatchEvent>, Group<T>> index = w.prevKv ? byEventsWithPrev : byEvents;
      Group<T> g = index.get(events);
      if (g == null) {
        g = new Group<>(events, w.prevKv);
        index.put(events, g);
        groups.add(g);
      }
      g.members.add(w);
    }
  }

  private void send(Watch<T> w, long revision, List<WatchEvent> events) {
    if (!events.isEmpty()) {
      // A null message (the encoder has nothing to send for these events) still completes them.
      enqueue(w, encoder.events(w.id, revision, events, w.prevKv, cache), revision);
    }
  }

  private void sendGroup(Group<T> g, long revision) {
    // A member may have been cancelled since it joined (slow_consumer while sending others).
    g.members.removeIf(m -> !m.active);
    if (g.members.size() <= 1) {
      if (!g.members.isEmpty()) {
        send(g.members.get(0), revision, g.events);
      }
      return;
    }
    long[] ids = new long[g.members.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = g.members.get(i).id;
    }
    enqueueShared(
        encoder.group(ids, revision, g.events, g.prevKv, cache),
        revision,
        List.copyOf(g.members),
        null);
  }

  private static <T> List<WatchEvent> filter(Watch<T> w, List<WatchEvent> events) {
    // Events come in revision order; the hub sends a future start's watch live changes from now on.
    if (!w.noPut
        && !w.noDelete
        && (events.isEmpty() || events.get(0).revision() >= w.startRevision)) {
      return events;
    }
    List<WatchEvent> out = new ArrayList<>(events.size());
    for (WatchEvent e : events) {
      boolean put = e.type() == WatchEvent.Type.PUT;
      if (((put && !w.noPut) || (!put && !w.noDelete)) && e.revision() >= w.startRevision) {
        out.add(e);
      }
    }
    return out;
  }

  private void progress(WatchHub.Progress p) {
    if (watches.isEmpty()) {
      sendControl(encoder.progress(-1, p.revision()));
      return;
    }
    ActorRef hub = getSender();
    for (Watch<T> w : new ArrayList<>(watches.values())) {
      // Only the hub the watch is registered with has handed it every change up to the mark; a
      // watch between two hubs (its leader stopped) or not registered yet gets no progress.
      if (w.active && w.registered && hub.equals(w.hub)) {
        w.received = Math.max(w.received, p.revision());
        enqueue(w, encoder.progress(w.id, p.revision()), 0);
      }
    }
  }

  private void cancel(long id, String reason, long compactRevision) {
    Watch<T> w = watches.remove(id);
    if (w == null) {
      return;
    }
    metrics.canceled(reason);
    if (reason.equals("slow_consumer")) {
      logSlowConsumer(w);
    } else if (log.isDebugEnabled()) {
      log.debug(
          "watch connection {} namespace {}: watch {} canceled ({}) at last_revision {}",
          client,
          namespace,
          id,
          reason,
          w.lastRevision);
    }
    bySubscription.remove(w.subscription);
    w.active = false;
    heldBytes -= w.pendingBytes;
    w.pendingBytes = 0;
    w.pending.clear();
    namespaces.tell(
        namespace, new NamespaceLeader.Unsubscribe(getSelf(), w.subscription), getSelf());
    if (w.held > 0) {
      // Coalesced: messages naming this watch are still held and cannot be taken back (they are
      // other watches' too). "canceled" goes after them, so no event of the watch follows it, and
      // reports the last revision they complete.
      long last = Math.max(w.lastRevision, w.heldRevision);
      T message = encoder.canceled(id, reason, compactRevision, last);
      holdShared(
          new Queued<>(
              message, 0, List.of(), sizeOf(message), new Cancel<>(w, reason, compactRevision)));
    } else {
      sendControl(encoder.canceled(id, reason, compactRevision, w.lastRevision));
    }
    if (closeWhenWatchEnds && watches.isEmpty()) {
      flush();
      getContext().stop(getSelf());
    }
  }

  /**
   * One line per slow-consumer cancellation, but at most one a second per connection (a coalesced
   * connection cancels all its watches at once): the line counts the ones in between.
   */
  private void logSlowConsumer(Watch<T> w) {
    slowSinceLog++;
    long now = System.nanoTime();
    if (now - lastSlowLog < 1_000_000_000L) {
      return;
    }
    lastSlowLog = now;
    log.warn(
        "watch connection {} namespace {}: watch {} canceled (slow_consumer) at last_revision {};"
            + " the client does not read: {} messages and {} bytes held back; {} watches of this"
            + " connection canceled so since its last such line",
        client,
        namespace,
        w.id,
        w.lastRevision,
        coalesce ? fifo.size() : w.pending.size(),
        heldBytes,
        slowSinceLog);
    slowSinceLog = 0;
  }

  private void endAll(String reason) {
    if (!watches.isEmpty()) {
      log.info(
          "watch connection {} namespace {}: {} watches end ({})",
          client,
          namespace,
          watches.size(),
          reason);
    }
    for (Long id : new ArrayList<>(watches.keySet())) {
      cancel(id, reason.replace(' ', '_'), 0);
    }
  }

  // ------------------------------------------------------------- output

  /**
   * Sends or holds back {@code message}, which completes the watch's {@code revision} (or 0); a
   * null message has nothing to send and only completes the revision.
   */
  private void enqueue(Watch<T> w, T message, long revision) {
    if (coalesce) {
      enqueueShared(message, revision, List.of(w), null);
      return;
    }
    if (message == null) {
      if (w.pending.isEmpty()) {
        w.lastRevision = Math.max(w.lastRevision, revision);
      } else {
        hold(w, null, revision);
      }
      return;
    }
    if (!w.pending.isEmpty() || !control.isEmpty()) {
      hold(w, message, revision);
      return;
    }
    QueueOfferResult r = out.offer(message);
    if (r == QueueOfferResult.enqueued()) {
      w.lastRevision = Math.max(w.lastRevision, revision);
    } else if (r == QueueOfferResult.dropped()) {
      hold(w, message, revision);
    } else {
      getContext().stop(getSelf());
    }
  }

  private void hold(Watch<T> w, T message, long revision) {
    long size = sizeOf(message);
    if (w.pending.size() >= settings.maxPendingPerWatch()
        || heldBytes + size > settings.maxHeldBytesPerConnection()) {
      // Bounded memory: the watch that cannot be held any more is cancelled, freeing its share.
      cancel(w.id, "slow_consumer", 0);
      return;
    }
    w.pending.add(new Held<>(message, revision));
    w.pendingBytes += size;
    heldBytes += size;
    scheduleFlush();
  }

  // ---- coalesced connections: one FIFO of held-back messages for all watches

  /**
   * Sends or holds back {@code message}, which completes {@code revision} for each of {@code
   * members}.
   */
  private void enqueueShared(T message, long revision, List<Watch<T>> members, Cancel<T> cancel) {
    if (fifo.isEmpty()) {
      if (message == null) {
        complete(members, revision);
        return;
      }
      if (control.isEmpty()) {
        QueueOfferResult r = out.offer(message);
        if (r == QueueOfferResult.enqueued()) {
          complete(members, revision);
          return;
        }
        if (r != QueueOfferResult.dropped()) {
          getContext().stop(getSelf());
          return;
        }
      }
    }
    holdShared(new Queued<>(message, revision, members, sizeOf(message), cancel));
  }

  private void holdShared(Queued<T> q) {
    if (fifo.size() >= settings.maxPendingPerWatch()
        || heldBytes + q.size() > settings.maxHeldBytesPerConnection()) {
      dropHeld(q);
      return;
    }
    fifo.add(q);
    heldBytes += q.size();
    for (Watch<T> m : q.members()) {
      m.held++;
      m.heldRevision = Math.max(m.heldRevision, q.revision());
    }
    scheduleFlush();
  }

  /**
   * The FIFO is full: drops it, with {@code overflow}, and cancels every watch that had a message
   * in it with slow_consumer. Their last_revision is what was handed to the socket, so a client
   * that resumes from last_revision + 1 misses nothing and gets nothing twice.
   */
  private void dropHeld(Queued<T> overflow) {
    List<Queued<T>> dropped = new ArrayList<>(fifo.size() + 1);
    dropped.addAll(fifo);
    dropped.add(overflow);
    fifo.clear();
    heldBytes = 0;
    for (Queued<T> q : dropped) {
      for (Watch<T> m : q.members()) {
        m.held = 0;
        m.heldRevision = 0;
      }
    }
    for (Queued<T> q : dropped) {
      if (q.cancel() != null) {
        // Already cancelled (e.g. by the client), its canceled message was in the FIFO: tell it
        // again, with what the socket really got.
        Cancel<T> c = q.cancel();
        sendControl(
            encoder.canceled(
                c.watch().id, c.reason(), c.compactRevision(), c.watch().lastRevision));
      }
      for (Watch<T> m : q.members()) {
        if (m.active) {
          cancel(m.id, "slow_consumer", 0);
        }
      }
    }
  }

  private static <T> void complete(List<Watch<T>> members, long revision) {
    for (Watch<T> m : members) {
      m.lastRevision = Math.max(m.lastRevision, revision);
    }
  }

  private long sizeOf(T message) {
    return message == null ? 0 : encoder.sizeOf(message);
  }

  private void sendControl(T message) {
    if (message == null) {
      return;
    }
    if (control.isEmpty()) {
      QueueOfferResult r = out.offer(message);
      if (r == QueueOfferResult.enqueued()) {
        return;
      }
      if (r != QueueOfferResult.dropped()) {
        getContext().stop(getSelf());
        return;
      }
    }
    if (control.size() >= settings.maxPendingPerWatch()) {
      // Not even control messages drain: the client is gone in all but name.
      getContext().stop(getSelf());
      return;
    }
    control.add(message);
    scheduleFlush();
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      timers().startSingleTimer("flush", new Flush(), settings.flushInterval());
    }
  }

  /**
   * Drains held-back messages: control first, then the watches round-robin (a coalesced
   * connection's FIFO in order).
   */
  private void flush() {
    flushScheduled = false;
    while (!control.isEmpty()) {
      if (!offer(control.peek())) {
        scheduleFlush();
        return;
      }
      control.poll();
    }
    while (!fifo.isEmpty()) {
      Queued<T> q = fifo.peek();
      if (q.message() != null && !offer(q.message())) {
        scheduleFlush();
        return;
      }
      fifo.poll();
      heldBytes -= q.size();
      for (Watch<T> m : q.members()) {
        m.held--;
        m.lastRevision = Math.max(m.lastRevision, q.revision());
      }
    }
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Iterator<Watch<T>> it = watches.values().iterator(); it.hasNext(); ) {
        Watch<T> w = it.next();
        if (w.pending.isEmpty()) {
          continue;
        }
        T next = w.pending.peek().message();
        if (next != null && !offer(next)) {
          scheduleFlush();
          return;
        }
        Held<T> sent = w.pending.poll();
        long size = sizeOf(sent.message());
        w.pendingBytes -= size;
        heldBytes -= size;
        w.lastRevision = Math.max(w.lastRevision, sent.revision());
        progress = true;
      }
    }
  }

  private boolean offer(T message) {
    QueueOfferResult r = out.offer(message);
    if (r == QueueOfferResult.enqueued()) {
      return true;
    }
    if (r != QueueOfferResult.dropped()) {
      getContext().stop(getSelf());
    }
    return false;
  }

  // ------------------------------------------------------------- session leases

  private void onLeaseGrant(JsonNode c) {
    requireObject(c, "lease_grant", "ttl", "id");
    long ttl = number(c, "ttl", -1);
    if (ttl < 0) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "lease_grant needs a ttl in seconds");
    }
    long id = number(c, "id", 0);
    pipeLease(
        "lease grant",
        namespaces.write(namespace, new Command.GrantLease(id, ttl)),
        LeaseGranted::new);
  }

  private void onLeaseAttach(JsonNode c) {
    requireObject(c, "lease_attach", "id");
    long id = number(c, "id", -1);
    if (id <= 0) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "lease_attach needs a lease id");
    }
    pipeLease(
        "lease attach",
        namespaces.ask(namespace, new NamespaceLeader.KeepAlive(id)),
        LeaseAttached::new);
  }

  private void onLeaseRevoke(JsonNode c) {
    requireObject(c, "lease_revoke", "id");
    long id = number(c, "id", -1);
    if (id <= 0) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "lease_revoke needs a lease id");
    }
    leases.remove(id);
    pipeLease(
        "lease revoke",
        namespaces.write(namespace, new Command.RevokeLease(id)),
        LeaseRevoked::new);
  }

  /**
   * Pipes {@code reply} back as a {@link LeaseResult}; a failure (no answer) becomes {@link
   * LeaseFailed} naming {@code request}, or is dropped when {@code request} is null (a renewal: the
   * next client message retries it).
   */
  private <R> void pipeLease(
      String request,
      java.util.concurrent.CompletionStage<R> reply,
      java.util.function.Function<R, LeaseResult> answered) {
    java.util.concurrent.CompletionStage<LeaseResult> result =
        reply.handle((r, e) -> e == null ? answered.apply(r) : new LeaseFailed(request, e));
    Patterns.pipe(result, getContext().getDispatcher()).to(getSelf());
  }

  private void leaseResult(LeaseResult r) {
    if (r instanceof LeaseFailed f) {
      if (f.request() != null) {
        sendControl(
            encoder.error(ErrorCode.UNAVAILABLE.wire(), f.request() + " failed: " + f.cause()));
      }
    } else if (r instanceof LeasesRenewed n) {
      if (n.reply() instanceof Reply.KeepAliveManyReply k) {
        for (long id : k.missing()) {
          if (leases.remove(id) != null) {
            sendControl(encoder.message(Map.of("lease_expired", Map.of("id", id))));
          }
        }
      } else {
        leaseRejected(n.reply());
      }
    } else if (r instanceof LeaseGranted g) {
      if (g.reply() instanceof Reply.LeaseGrantReply granted) {
        addSessionLease(granted.id(), granted.ttlSeconds());
        sendControl(
            encoder.message(
                Map.of(
                    "lease_granted",
                    Map.of(
                        "id",
                        granted.id(),
                        "ttl",
                        granted.ttlSeconds(),
                        "revision",
                        granted.revision()))));
      } else {
        leaseRejected(g.reply());
      }
    } else if (r instanceof LeaseAttached a) {
      if (a.reply() instanceof Reply.KeepAliveReply k) {
        addSessionLease(k.id(), k.ttlSeconds());
        sendControl(
            encoder.message(Map.of("lease_attached", Map.of("id", k.id(), "ttl", k.ttlSeconds()))));
      } else {
        leaseRejected(a.reply());
      }
    } else if (r instanceof LeaseRevoked v) {
      if (v.reply() instanceof Reply.LeaseRevokeReply revoked) {
        sendControl(
            encoder.message(
                Map.of(
                    "lease_revoked", Map.of("id", revoked.id(), "revision", revoked.revision()))));
      } else {
        leaseRejected(v.reply());
      }
    } else {
      throw new IllegalStateException("unhandled " + r);
    }
  }

  /** A lease request refused: the client gets the refusal. */
  private void leaseRejected(Reply reply) {
    if (reply instanceof Reply.Rejected rj) {
      sendControl(encoder.error(rj.code().wire(), rj.rejection().detail()));
    } else {
      throw new IllegalStateException("unhandled " + reply);
    }
  }

  private void addSessionLease(long id, long ttl) {
    leases.put(id, new SessionLease(id, ttl));
    renewals.add(new Renewal(System.nanoTime() + thirdOf(ttl), id));
  }

  /**
   * Renews, in one request, each lease due (a third of its TTL since its last renewal). Called on
   * every client message and only then: a renewal never outlives the client's last message by more
   * than the TTL, so a client that vanished or went silent on an open socket loses its leases one
   * TTL after its last message (a timer renewing while the client had spoken within the TTL let
   * them live up to two TTLs).
   */
  private void keepLeasesAlive() {
    if (leases.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    List<Long> due = new ArrayList<>();
    // Only the leases that are due are touched: a message costs O(due log n), not a scan.
    while (!renewals.isEmpty() && renewals.peek().dueNanos() - now <= 0) {
      long id = renewals.poll().id();
      SessionLease l = leases.get(id);
      if (l != null) {
        due.add(id);
        renewals.add(new Renewal(now + thirdOf(l.ttlSeconds()), id));
      }
    }
    if (!due.isEmpty()) {
      pipeLease(
          null,
          namespaces.ask(namespace, new NamespaceLeader.KeepAliveMany(due)),
          LeasesRenewed::new);
    }
  }

  private static long thirdOf(long ttlSeconds) {
    return Duration.ofSeconds(ttlSeconds).toNanos() / 3;
  }

  // ------------------------------------------------------------- parsing helpers

  private static final class BadMessage extends RuntimeException {
    final ErrorCode code;

    BadMessage(ErrorCode code, String detail) {
      super(detail, null, false, false);
      this.code = code;
    }
  }

  private static void requireObject(JsonNode n, String type, String... allowed) {
    if (n == null || !n.isObject()) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, type + " must be a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!List.of(allowed).contains(f)) {
        throw new BadMessage(ErrorCode.MALFORMED_REQUEST, "unknown field '" + f + "' in " + type);
      }
    }
  }

  private static boolean bool(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, field + " must be true or false");
    }
    return v.asBoolean();
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, field + " must be a string");
    }
    return v.asText();
  }

  private static long number(JsonNode n, String field, long dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new BadMessage(ErrorCode.MALFORMED_REQUEST, field + " must be a non-negative integer");
    }
    return v.asLong();
  }
}
