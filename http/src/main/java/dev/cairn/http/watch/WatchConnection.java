package dev.cairn.http.watch;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.watch.WatchHub;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.CallRoutes;
import dev.cairn.recipes.CairnClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its watches and its session's leases. The actor ties together the pieces
 * that each own one concern: {@link ClientMessage} (the JSON protocol), {@link WatchRegistry} (the
 * connection's watches and where each is registered), {@link Coalescer} (one message for watches
 * with the same events), {@link Outbound} (the socket queue and back-pressure) and {@link
 * SessionLeases}. What stays here is the watch lifecycle: subscribe, deliver, progress, cancel, and
 * subscribe again when a hub stops.
 *
 * <p><b>created</b> is sent when the watch's registration (its history up to the registration
 * revision) arrives from the hub, so it is never sent for a watch that is refused or compacted, and
 * once it is received every later change of the watch's range is on its way.
 *
 * <p><b>Across a leader stop.</b> A hub stops with its leader. The connection watches the hub that
 * registered each watch; when it terminates, each of its watches subscribes again, under a new
 * subscription id, from the revision after the last one it was handed, so the stream goes on with
 * no gap and no duplicate. A subscription without an answer within {@link
 * WatchSettings#resubscribeAfter()} (it may have reached the stopping leader) is sent again. A
 * progress notification is taken only from the hub the watch is registered with.
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

  /** A call's reply, encoded where its answer completed. */
  private record CallDone(String reply) {}

  /**
   * Sends the replies gathered since the first of them (see {@link #reply}), unless more came while
   * it went round the mailbox: {@code seen} were gathered when it was sent, in {@code round}.
   */
  private record SendReplies(int seen, int round) {}

  /** How often a batch waits for one more turn of the mailbox while replies keep coming. */
  private static final int MAX_GATHER_ROUNDS = 3;

  /** Gathered replies this long go out at once: a batch saves per-message work, not bytes. */
  private static final int MAX_GATHERED_CHARS = 64 * 1024;

  private record ProgressTick() {}

  /** The WebSocket's streams never started (the client went away before the upgrade). */
  private record NeverStarted() {}

  /** From WatchApi: the server is going away; say so to the client and close. */
  record ServerStopping() {}

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(WatchConnection.class);
  private final Namespaces namespaces;
  private final String namespace;

  /** The client's address, for the log. */
  private final String client;

  private final WatchMetrics metrics;
  private final Encoder<T> encoder;
  private final WatchSettings settings;
  private final AtomicInteger openConnections;
  private final boolean closeWhenWatchEnds;
  private final boolean coalesce;

  /**
   * Replies that finish together go out as one WebSocket message, one JSON message per line (the
   * session's {@code batch=true}).
   */
  private final boolean batchReplies;

  /** Replies gathered for one message, newline-terminated; how many; whether a send is due. */
  private final StringBuilder replies = new StringBuilder();

  private int repliesGathered;
  private boolean repliesDue;

  private final WatchRegistry<T> watches = new WatchRegistry<>();
  private final Subscriber<Watch<T>> subscriber;
  private final Outbound<T> outbound;
  private final Coalescer<T> coalescer = new Coalescer<>();
  private final SessionLeases<T> leases;
  private final SessionLocks<T> locks;
  private final Encoder.Cache cache = new Encoder.Cache();

  /** Runs a call's request through the client port's routes; null: this session takes no calls. */
  private final CallRoutes calls;

  /** Calls received and not yet replied to on the socket (see maxCallsPerConnection). */
  private int callsInFlight;

  private final Runnable replySent = () -> callsInFlight--;

  /** Slow-consumer cancellations not logged yet, and when the last line was. */
  private int slowSinceLog;

  private long lastSlowLog = System.nanoTime() - 2_000_000_000L;

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
      boolean coalesce,
      boolean batchReplies,
      CairnClient recipes,
      CallRoutes calls) {
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
                coalesce,
                batchReplies,
                recipes,
                calls));
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
      boolean coalesce,
      boolean batchReplies,
      CairnClient recipes,
      CallRoutes calls) {
    this.namespaces = namespaces;
    this.batchReplies = batchReplies;
    this.calls = calls;
    this.namespace = namespace;
    this.client = client;
    this.metrics = metrics;
    this.encoder = encoder;
    this.settings = settings;
    this.openConnections = openConnections;
    this.closeWhenWatchEnds = closeWhenWatchEnds;
    this.coalesce = coalesce;
    this.leases = new SessionLeases<>(namespaces, namespace, encoder);
    ActorRef self = getSelf();
    this.locks = new SessionLocks<>(recipes, encoder, r -> self.tell(r, ActorRef.noSender()));
    this.subscriber =
        new Subscriber<>(
            namespaces, namespace, settings.resubscribeAfter(), getContext(), timers(), watches);
    this.outbound =
        new Outbound<>(
            out,
            encoder,
            settings,
            coalesce,
            watches,
            new Outbound.Owner<>() {
              @Override
              public void slowConsumer(Watch<T> w) {
                cancel(w.id, "slow_consumer", 0);
              }

              @Override
              public void close() {
                getContext().stop(getSelf());
              }

              @Override
              public void scheduleFlush() {
                timers().startSingleTimer("flush", new Flush(), settings.flushInterval());
              }
            });
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
      subscriber.unsubscribeAll();
    }
    locks.stop();
    outbound.complete();
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
        .match(ServerStopping.class, s -> goAway())
        .match(
            ClientText.class,
            t -> {
              onClientMessage(t.text());
              sendReplies(); // the calls of this message answered in place
              // Any message from the client renews its session's leases that are due.
              pipe(leases.keepAliveDue());
              getSender().tell(new Ack(), getSelf());
            })
        .match(ClientClosed.class, c -> getContext().stop(getSelf()))
        .match(
            StartWatch.class,
            s ->
                create(
                    new ClientMessage.Create(
                        -1, s.key(), s.rangeEnd(), s.startRevision(), false, false, false)))
        .match(WatchHub.Deliveries.class, this::deliver)
        .match(Terminated.class, t -> hubStopped(t.getActor()))
        .match(Subscriber.Check.class, c -> subscriber.checkOverdue())
        .match(WatchHub.Progress.class, this::progress)
        .match(WatchHub.Ended.class, e -> endAll(e.reason()))
        .match(
            NamespaceLeader.WatchCompacted.class,
            c -> {
              Watch<T> w = watches.bySubscription(c.watchId());
              if (w != null) {
                cancel(w.id, "compacted", c.compactRevision());
              }
            })
        .match(
            NamespaceLeader.WatchRefused.class,
            r -> {
              Watch<T> w = watches.bySubscription(r.watchId());
              if (w != null) {
                outbound.sendControl(
                    encoder.error(r.rejection().code().wire(), r.rejection().detail()));
                cancel(w.id, r.rejection().code().wire(), 0);
              }
            })
        .match(Flush.class, f -> outbound.flush())
        .match(
            ProgressTick.class,
            t -> {
              if (!watches.isEmpty()) {
                namespaces.tell(namespace, new NamespaceLeader.WatchProgress(getSelf()), getSelf());
              }
            })
        .match(
            SessionLeases.LeaseResult.class, r -> leases.onResult(r).forEach(outbound::sendControl))
        .match(SessionLocks.LockResult.class, r -> locks.onResult(r).forEach(outbound::sendControl))
        .match(CallDone.class, d -> reply(d.reply()))
        .match(
            SendReplies.class,
            d -> {
              if (repliesGathered > d.seen() && d.round() < MAX_GATHER_ROUNDS) {
                // More came while the marker went round: they keep coming, gather once more.
                getSelf()
                    .tell(new SendReplies(repliesGathered, d.round() + 1), ActorRef.noSender());
              } else {
                sendReplies();
              }
            })
        .build();
  }

  // ------------------------------------------------------------- client messages

  private void onClientMessage(String text) {
    for (Object parsed : ClientMessage.parseAll(text)) {
      if (parsed instanceof ClientMessage m) {
        onClientMessage(m);
      } else if (parsed instanceof ClientMessage.Invalid e) {
        outbound.sendControl(encoder.error(e.code.wire(), e.getMessage()));
      } else {
        throw new IllegalStateException("unhandled " + parsed);
      }
    }
  }

  private void onClientMessage(ClientMessage m) {
    try {
      if (m instanceof ClientMessage.Create c) {
        onCreate(c);
      } else if (m instanceof ClientMessage.Cancel c) {
        Watch<T> w = watches.get(c.watchId());
        if (w == null || !w.active) {
          throw new ClientMessage.Invalid(
              ErrorCode.WATCH_NOT_FOUND, "no watch with watch_id " + c.watchId());
        }
        cancel(c.watchId(), "canceled", 0);
      } else if (m instanceof ClientMessage.Progress) {
        namespaces.tell(namespace, new NamespaceLeader.WatchProgress(getSelf()), getSelf());
      } else if (m instanceof ClientMessage.Heartbeat) {
        outbound.sendControl(encoder.message(Map.of("heartbeat", Map.of())));
      } else if (m instanceof ClientMessage.LeaseGrant g) {
        pipe(leases.grant(g.ttlSeconds(), g.id()));
      } else if (m instanceof ClientMessage.LeaseAttach a) {
        pipe(leases.attach(a.id()));
      } else if (m instanceof ClientMessage.LeaseRevoke r) {
        pipe(leases.revoke(r.id()));
      } else if (m instanceof ClientMessage.LockAcquire l) {
        long lease = l.lease() == 0 ? leases.first() : l.lease();
        if (lease == 0 || !leases.holds(lease)) {
          throw new ClientMessage.Invalid(
              ErrorCode.LEASE_NOT_FOUND,
              lease == 0
                  ? "the session holds no lease: lease_grant or lease_attach first"
                  : "lease " + lease + " is not one of this session's leases");
        }
        pipe(locks.acquire(l.name(), lease, Duration.ofMillis(l.timeoutMs())));
      } else if (m instanceof ClientMessage.LockRelease u) {
        pipe(locks.release(u.name(), u.token()));
      } else if (m instanceof ClientMessage.Call c) {
        call(c);
      } else {
        throw new IllegalStateException("unhandled " + m);
      }
    } catch (ClientMessage.Invalid e) {
      outbound.sendControl(encoder.error(e.code.wire(), e.getMessage()));
    }
  }

  /**
   * Runs a call through the client port's routes. Its reply is encoded where the answer completes
   * (off this actor) and handed to the socket as a control message; until then the call counts
   * towards the connection's limit, so a client that does not read its replies gets refusals, and
   * then (not even those drain) the connection is closed, as for any session message.
   */
  private void call(ClientMessage.Call c) {
    if (calls == null) {
      outbound.sendControl(
          encoder.raw(
              Calls.refusal(c.id(), ErrorCode.NOT_FOUND, "this connection takes no calls")));
      return;
    }
    if (callsInFlight >= settings.maxCallsPerConnection()) {
      outbound.sendControl(
          encoder.raw(
              Calls.refusal(
                  c.id(),
                  ErrorCode.TOO_MANY_REQUESTS,
                  "a session may have at most "
                      + settings.maxCallsPerConnection()
                      + " calls in flight (cairn.watch.max-calls-per-connection); this one was"
                      + " not run")));
      return;
    }
    // The plainest calls (a put or get of one key) are answered without building a request.
    CompletionStage<HttpResponse> answer = calls.plain(c.method(), c.path(), c.headers(), c.body());
    if (answer == null) {
      HttpRequest request;
      try {
        request = Calls.request(c);
      } catch (ClientMessage.Invalid e) {
        outbound.sendControl(encoder.raw(Calls.refusal(c.id(), e.code, e.getMessage())));
        return;
      }
      answer = calls.apply(request);
    }
    callsInFlight++;
    long id = c.id();
    CompletionStage<String> reply =
        answer
            .thenCompose(r -> strict(r).thenApply(body -> Calls.reply(id, r, body)))
            .exceptionally(
                e -> {
                  log.error("call {} {} failed", c.method(), c.path(), e);
                  return Calls.refusal(id, ErrorCode.INTERNAL, "internal error");
                });
    if (reply instanceof java.util.concurrent.CompletableFuture<String> f && f.isDone()) {
      // Answered already (a read of the published state): no hop through the mailbox.
      reply(f.join());
    } else {
      Patterns.pipe(reply.thenApply(CallDone::new), getContext().getDispatcher()).to(getSelf());
    }
  }

  /**
   * Sends a call's reply, or, on a session with {@code batch=true}, gathers it: the replies that
   * reach this actor before the {@link SendReplies} it sends itself at the first of them (those
   * already in its mailbox, typically answers to one journal write) go out as one message. The
   * answers to one write complete on several dispatcher threads, so they arrive spread out: while
   * more keep coming as the marker goes round, it goes round again (up to {@link
   * #MAX_GATHER_ROUNDS} times). A client message's calls answered in place go out when it has been
   * read.
   */
  private void reply(String json) {
    if (!batchReplies) {
      outbound.sendControl(encoder.raw(json), replySent);
      return;
    }
    replies.append(json).append('\n');
    repliesGathered++;
    if (replies.length() >= MAX_GATHERED_CHARS) {
      sendReplies();
    } else if (!repliesDue) {
      repliesDue = true;
      getSelf().tell(new SendReplies(repliesGathered, 0), ActorRef.noSender());
    }
  }

  private void sendReplies() {
    if (repliesGathered == 0) {
      return;
    }
    int n = repliesGathered;
    String text = replies.toString();
    replies.setLength(0);
    repliesGathered = 0;
    repliesDue = false;
    outbound.sendControl(encoder.raw(text), () -> callsInFlight -= n);
  }

  private CompletionStage<byte[]> strict(HttpResponse r) {
    if (r.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict s) {
      return java.util.concurrent.CompletableFuture.completedFuture(s.getData().toArrayUnsafe());
    }
    return r.entity()
        .toStrict(
            10_000, org.apache.pekko.stream.Materializer.matFromSystem(getContext().getSystem()))
        .thenApply(s -> s.getData().toArrayUnsafe());
  }

  private void pipe(CompletionStage<?> result) {
    if (result != null) {
      Patterns.pipe(result, getContext().getDispatcher()).to(getSelf());
    }
  }

  private void onCreate(ClientMessage.Create c) {
    if (c.watchId() >= 0 && watches.contains(c.watchId())) {
      throw new ClientMessage.Invalid(
          ErrorCode.INVALID_ARGUMENT, "watch_id " + c.watchId() + " is already in use");
    }
    if (watches.size() >= settings.maxWatchesPerConnection()) {
      throw new ClientMessage.Invalid(
          ErrorCode.TOO_MANY_WATCHES,
          "a connection may hold at most " + settings.maxWatchesPerConnection() + " watches");
    }
    create(c);
  }

  private void create(ClientMessage.Create asked) {
    Watch<T> w = watches.add(asked);
    // "created" waits for the registration (see deliver): sent now, it would promise a watch the
    // leader may still refuse, and changes written right after it might precede the registration.
    subscriber.subscribe(w);
  }

  // ------------------------------------------------------------- subscriptions

  /**
   * A hub stopped (with its leader): every watch registered with it subscribes again, shortly, from
   * the revision after the last one it was handed (see {@link Subscriber#hubStopped}).
   */
  private void hubStopped(ActorRef hub) {
    int affected = subscriber.hubStopped(hub);
    if (affected == 0) {
      return;
    }
    log.info(
        "watch connection {} namespace {}: leader stopped; {} watches subscribe again after their"
            + " last revision",
        client,
        namespace,
        affected);
    metrics.resubscribed(affected);
  }

  // ------------------------------------------------------------- deliveries

  private void deliver(WatchHub.Deliveries d) {
    cache.clear();
    ActorRef hub = getSender();
    for (WatchHub.Delivery delivery : d.deliveries()) {
      for (long watchId : delivery.watchIds()) {
        Watch<T> w = subscriber.find(watchId, hub);
        if (w != null) {
          deliverTo(w, delivery, d.revision(), hub);
        }
      }
    }
    // Nothing below comes back into deliver: the groups can be sent, then cleared.
    coalescer.drain(g -> sendGroup(g, d.revision()));
  }

  /** Sends one watch its part of a delivery, or adds it to a group for a coalesced message. */
  private void deliverTo(Watch<T> w, WatchHub.Delivery delivery, long revision, ActorRef hub) {
    Subscriber.Taken taken = subscriber.take(w, delivery.history(), hub, revision);
    if (taken == Subscriber.Taken.NO) {
      return;
    }
    if (taken == Subscriber.Taken.FIRST) {
      // The watch exists from here on, and its history follows.
      outbound.enqueue(w, encoder.created(w.id, w.startRevision), 0);
      if (!w.active) {
        return;
      }
    }
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
        // No change of this watch up to the registration's revision: complete it in order, after
        // anything of the watch still held back.
        outbound.enqueue(w, null, revision);
      }
    } else if (!events.isEmpty()) {
      if (coalesce) {
        coalescer.add(w, events);
      } else {
        send(w, revision, events);
      }
    }
  }

  private void send(Watch<T> w, long revision, List<WatchEvent> events) {
    if (!events.isEmpty()) {
      // A null message (the encoder has nothing to send for these events) still completes them.
      outbound.enqueue(w, encoder.events(w.id, revision, events, w.prevKv, cache), revision);
    }
  }

  private void sendGroup(Coalescer.Group<T> g, long revision) {
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
    // The group is not used again after this delivery: its members list can be held as it is.
    outbound.enqueueShared(
        encoder.group(ids, revision, g.events, g.prevKv, cache), revision, g.members);
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
      outbound.sendControl(encoder.progress(-1, p.revision()));
      return;
    }
    ActorRef hub = getSender();
    for (Watch<T> w : new ArrayList<>(watches.all())) {
      // Only the hub the watch is registered with has handed it every change up to the mark; a
      // watch between two hubs (its leader stopped) or not registered yet gets no progress.
      if (subscriber.takeProgress(w, hub, p.revision())) {
        outbound.enqueue(w, encoder.progress(w.id, p.revision()), 0);
      }
    }
  }

  // ------------------------------------------------------------- cancellation

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
    w.active = false;
    subscriber.unsubscribe(w);
    outbound.canceled(w, reason, compactRevision);
    if (closeWhenWatchEnds && watches.isEmpty()) {
      outbound.flush();
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
        outbound.heldCount(w),
        outbound.heldBytes(),
        slowSinceLog);
    slowSinceLog = 0;
  }

  /**
   * Shutdown: the stream gets the encoder's last word (SSE: a shutdown event with the revision to
   * resume after; WebSocket: nothing, the listener makes its close frame 1001) and the connection
   * closes. Held-back messages are dropped: the client resumes from what it got.
   */
  private void goAway() {
    long last = 0;
    for (Watch<T> w : watches.all()) {
      last = Math.max(last, w.lastRevision);
    }
    outbound.offerLast(encoder.shutdown(last));
    getContext().stop(getSelf());
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
    for (Long id : watches.ids()) {
      cancel(id, reason.replace(' ', '_'), 0);
    }
  }
}
