package dev.cairn.recipes.services;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.services.ServiceRegistry.CheckState;
import dev.cairn.recipes.services.ServiceRegistry.CheckView;
import dev.cairn.recipes.services.ServiceRegistry.Http;
import dev.cairn.recipes.services.ServiceRegistry.Instance;
import dev.cairn.recipes.services.ServiceRegistry.KeyPath;
import dev.cairn.recipes.services.ServiceRegistry.Status;
import dev.cairn.recipes.services.ServiceRegistry.Ttl;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Runs the health checks of one namespace's services: probes HTTP checks, turns TTL checks whose
 * TTL passed critical, and removes instances critical for their {@code deregister_after}.
 *
 * <p>Every node runs one per namespace with services; exactly one of them is active at a time: the
 * holder of the {@link Lock} {@link #LOCK}, taken with a lease of the checker's own that it renews.
 * Every write it makes is fenced by its grant's token ({@link Lock#fence}), so a checker that lost
 * the lock without knowing it yet (a pause, a partition) can change nothing, and the next holder
 * starts from the keyspace: the state lives there, not here. A checker that learns it lost the lock
 * (its lease ended, a write refused with {@code fenced}, its watch ended) stops everything and
 * queues for the lock again.
 *
 * <p>The active checker mirrors the keys under {@link ServiceRegistry#ROOT} (one prefix read, then
 * a prefix watch from the revision after it) and reconciles an instance whenever one of its keys
 * changes. It writes a check's state only when the status changes, as a transaction comparing the
 * state it saw, so probes that keep their result cost no write. Time: probe intervals run on this
 * node's monotonic clock; a state's {@code since} is wall-clock (so another node can continue a
 * {@code deregister_after} countdown after a failover, within the nodes' clock skew).
 *
 * <p>Everything the checker keeps is confined to {@code executor}, which must run one task at a
 * time (several checkers may share it); probes run on the {@link Prober}'s own threads.
 */
public final class HealthChecker {
  /** The lock whose holder is a namespace's active checker. */
  public static final String LOCK = "_cairn-services-checker";

  /** Pause before queueing for the lock again after losing it or failing to start. */
  private static final long RETRY_MS = 1000;

  /** Probes one HTTP check. */
  public interface Prober {
    /**
     * Probes {@code url} and completes within about {@code timeout}: 2xx passing, 429 warning,
     * anything else (or no answer, or a failure) critical.
     */
    CompletionStage<Result> probe(String url, Duration timeout);
  }

  /** A probe's outcome. */
  public record Result(Status status, String output) {}

  private final CairnClient client;
  private final Prober prober;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final long leaseTtlSeconds;
  private final Consumer<String> log;
  private final Runnable onNamespaceGone;
  private final Lock lock;

  private final AtomicLong probes = new AtomicLong();
  private final AtomicLong statusWrites = new AtomicLong();
  private final AtomicLong removals = new AtomicLong();
  private volatile boolean active;

  // Confined to executor.
  private long generation;
  private boolean closed;
  private long lease;
  private long token;
  private CairnClient.Watch watch;
  private ScheduledFuture<?> keepAlive;
  private final Map<String, KeyValue> kvs = new HashMap<>();
  private final Map<String, Tracked> tracked = new HashMap<>();

  /**
   * @param leaseTtlSeconds the TTL of the checker's lease: how long a dead node's checks go unrun
   *     before another node's checker takes over
   * @param log where to say that this checker became active or stepped down
   * @param onNamespaceGone called (on {@code executor}) when the namespace no longer exists; the
   *     checker has stopped
   */
  public HealthChecker(
      CairnClient client,
      Prober prober,
      ScheduledExecutorService executor,
      Clock clock,
      long leaseTtlSeconds,
      Consumer<String> log,
      Runnable onNamespaceGone) {
    this.client = client;
    this.prober = prober;
    this.executor = executor;
    this.clock = clock;
    this.leaseTtlSeconds = leaseTtlSeconds;
    this.log = log;
    this.onNamespaceGone = onNamespaceGone;
    this.lock = new Lock(client);
  }

  /** Queues for the lock; once granted, runs the checks until {@link #close()}. */
  public void start() {
    executor.execute(this::campaign);
  }

  /** Whether this checker holds the lock and runs the namespace's checks now. */
  public boolean active() {
    return active;
  }

  /** Probes started by this checker. */
  public long probes() {
    return probes.get();
  }

  /** Check states this checker wrote (status changes). */
  public long statusWrites() {
    return statusWrites.get();
  }

  /** Instances this checker removed after {@code deregister_after}. */
  public long removals() {
    return removals.get();
  }

  /**
   * Stops checking and revokes the checker's lease, so another node's checker takes over at once;
   * completes when the lease is revoked (or the revocation failed).
   */
  public CompletionStage<Void> close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          closed = true;
          long l = lease;
          stop();
          if (l == 0) {
            done.complete(null);
          } else {
            client.revokeLease(l).whenComplete((k, e) -> done.complete(null));
          }
        });
    return done;
  }

  // ------------------------------------------------------------------ leadership

  private void campaign() {
    if (closed) {
      return;
    }
    long gen = ++generation;
    client
        .grantLease(leaseTtlSeconds)
        .whenCompleteAsync(
            (l, err) -> {
              if (gen != generation) {
                if (l != null) {
                  client.revokeLease(l);
                }
                return;
              }
              if (err != null) {
                stepDown(gen, err);
                return;
              }
              lease = l;
              long period = Math.max(100, leaseTtlSeconds * 1000 / 3);
              keepAlive =
                  executor.scheduleWithFixedDelay(
                      () -> renew(gen, l), period, period, TimeUnit.MILLISECONDS);
              lock.acquire(LOCK, l, null)
                  .whenCompleteAsync(
                      (g, e) -> {
                        if (gen != generation) {
                          return;
                        }
                        if (e != null) {
                          stepDown(gen, e);
                        } else {
                          activate(gen, g.fencingToken());
                        }
                      },
                      executor);
            },
            executor);
  }

  private void renew(long gen, long l) {
    client
        .keepAlive(l)
        .whenCompleteAsync(
            (ttl, e) -> {
              if (e != null && CairnException.codeOf(e) == ErrorCode.LEASE_NOT_FOUND) {
                stepDown(gen, e);
              }
            },
            executor);
  }

  private void activate(long gen, long fencingToken) {
    client
        .prefix(ServiceRegistry.ROOT)
        .whenCompleteAsync(
            (r, e) -> {
              if (gen != generation) {
                return;
              }
              if (e != null) {
                stepDown(gen, e);
                return;
              }
              token = fencingToken;
              active = true;
              log.accept("active (fencing token " + fencingToken + ")");
              kvs.clear();
              for (KeyValue kv : r.kvs()) {
                kvs.put(kv.key(), kv);
              }
              watch =
                  client.watchPrefix(
                      ServiceRegistry.ROOT,
                      r.revision() + 1,
                      ev -> executor.execute(() -> changed(gen, ev)),
                      err -> executor.execute(() -> stepDown(gen, err)));
              for (KeyValue kv : r.kvs()) {
                KeyPath p = KeyPath.of(kv.key());
                if (p != null && p.kind() == KeyPath.Kind.INSTANCE) {
                  reconcile(gen, p.service(), p.id());
                }
              }
            },
            executor);
  }

  /** Stops everything and, unless closed or the namespace is gone, queues for the lock again. */
  private void stepDown(long gen, Throwable why) {
    if (gen != generation) {
      return;
    }
    long l = lease;
    boolean wasActive = active;
    stop();
    if (l != 0) {
      client.revokeLease(l);
    }
    ErrorCode code = CairnException.codeOf(why);
    if (code == ErrorCode.NAMESPACE_NOT_FOUND) {
      closed = true;
      onNamespaceGone.run();
      return;
    }
    if (wasActive) {
      log.accept("stepped down: " + (code != null ? code.wire() + " " : "") + why.getMessage());
    }
    if (!closed) {
      executor.schedule(this::campaign, RETRY_MS, TimeUnit.MILLISECONDS);
    }
  }

  private void stop() {
    generation++;
    active = false;
    token = 0;
    lease = 0;
    if (watch != null) {
      watch.cancel();
      watch = null;
    }
    if (keepAlive != null) {
      keepAlive.cancel(false);
      keepAlive = null;
    }
    tracked.values().forEach(Tracked::cancel);
    tracked.clear();
    kvs.clear();
  }

  // ------------------------------------------------------------------ checks

  /** What runs for one instance: its probes and its pending removal. */
  private static final class Tracked {
    long modRevision;
    final Map<Integer, ScheduledFuture<?>> probes = new HashMap<>();
    ScheduledFuture<?> removal;
    long removalAt;
    boolean cancelled;

    void cancelProbes() {
      probes.values().forEach(f -> f.cancel(false));
      probes.clear();
    }

    void cancelRemoval() {
      if (removal != null) {
        removal.cancel(false);
        removal = null;
        removalAt = 0;
      }
    }

    void cancel() {
      cancelled = true;
      cancelProbes();
      cancelRemoval();
    }
  }

  private void changed(long gen, WatchEvent ev) {
    if (gen != generation) {
      return;
    }
    String key = ev.kv().key();
    if (ev.type() == WatchEvent.Type.PUT) {
      kvs.put(key, ev.kv());
    } else {
      kvs.remove(key);
    }
    KeyPath p = KeyPath.of(key);
    if (p != null) {
      reconcile(gen, p.service(), p.id());
    }
  }

  /** Brings what runs for instance {@code id} in line with its keys as mirrored now. */
  private void reconcile(long gen, String service, String id) {
    if (gen != generation) {
      return;
    }
    String prefix = ServiceRegistry.instancePrefix(service, id);
    KeyValue inst = kvs.get(ServiceRegistry.instanceKey(service, id));
    Tracked t = tracked.get(prefix);
    if (inst == null) {
      if (t != null) {
        t.cancel();
        tracked.remove(prefix);
      }
      return;
    }
    Instance view;
    try {
      view = ServiceRegistry.instance(service, id, inst, kvs::get);
    } catch (RuntimeException unreadable) {
      return; // not written by this recipe: nothing to check
    }
    if (t == null) {
      t = new Tracked();
      tracked.put(prefix, t);
    }
    if (t.modRevision != inst.modRevision()) {
      t.cancelProbes();
      t.modRevision = inst.modRevision();
      for (CheckView c : view.checks()) {
        if (c.check() instanceof Http h) {
          probe(gen, t, service, id, c.index(), h);
        }
      }
    }
    long now = clock.millis();
    long deadline = Long.MAX_VALUE;
    long after = view.registration().deregisterAfterMs();
    for (CheckView c : view.checks()) {
      int n = c.index();
      if (c.check() instanceof Ttl ttl
          && c.state().status() != Status.CRITICAL
          && kvs.get(ServiceRegistry.ttlKey(service, id, n)) == null) {
        write(
            gen,
            service,
            id,
            n,
            new CheckState(
                Status.CRITICAL,
                "TTL of " + Durations.format(ttl.ttlMs()) + " passed without a report",
                now,
                0),
            true);
      }
      if (after > 0 && c.state().status() == Status.CRITICAL) {
        deadline = Math.min(deadline, c.state().sinceMs() + after);
      }
    }
    if (deadline == Long.MAX_VALUE) {
      t.cancelRemoval();
    } else if (t.removalAt != deadline) {
      t.cancelRemoval();
      t.removalAt = deadline;
      t.removal =
          executor.schedule(
              () -> remove(gen, service, id), Math.max(0, deadline - now), TimeUnit.MILLISECONDS);
    }
  }

  private void probe(long gen, Tracked t, String service, String id, int n, Http h) {
    long modRevision = t.modRevision;
    long started = System.nanoTime();
    probes.incrementAndGet();
    CompletableFuture<Result> r;
    try {
      r = prober.probe(h.url(), Duration.ofMillis(h.timeoutMs())).toCompletableFuture();
    } catch (RuntimeException e) {
      r = CompletableFuture.failedFuture(e);
    }
    r.completeOnTimeout(
            new Result(Status.CRITICAL, "no answer within " + Durations.format(h.timeoutMs())),
            h.timeoutMs() + 1000,
            TimeUnit.MILLISECONDS)
        .exceptionally(e -> new Result(Status.CRITICAL, "probe failed: " + e))
        .thenAcceptAsync(
            res -> {
              if (gen != generation || t.cancelled || t.modRevision != modRevision) {
                return;
              }
              KeyValue st = kvs.get(ServiceRegistry.checkKey(service, id, n));
              CheckState cur =
                  st == null ? null : ServiceRegistry.decode(st.value(), CheckState.class);
              if (cur == null || cur.status() != res.status()) {
                write(
                    gen,
                    service,
                    id,
                    n,
                    new CheckState(res.status(), res.output(), clock.millis(), 0),
                    false);
              }
              long elapsed = (System.nanoTime() - started) / 1_000_000;
              t.probes.put(
                  n,
                  executor.schedule(
                      () -> {
                        if (gen == generation && !t.cancelled && t.modRevision == modRevision) {
                          probe(gen, t, service, id, n, h);
                        }
                      },
                      Math.max(0, h.intervalMs() - elapsed),
                      TimeUnit.MILLISECONDS));
            },
            executor);
  }

  /**
   * Writes check {@code n}'s new state, fenced and only over the state mirrored now ({@code
   * ttlPassed}: and only while the TTL key is absent).
   */
  private void write(
      long gen, String service, String id, int n, CheckState state, boolean ttlPassed) {
    KeyValue inst = kvs.get(ServiceRegistry.instanceKey(service, id));
    String checkKey = ServiceRegistry.checkKey(service, id, n);
    List<Compare> compares = new ArrayList<>();
    compares.add(Lock.fence(LOCK, token));
    compares.add(ServiceRegistry.sameInstance(inst));
    compares.add(ServiceRegistry.unchanged(checkKey, kvs.get(checkKey)));
    if (ttlPassed) {
      compares.add(ServiceRegistry.unchanged(ServiceRegistry.ttlKey(service, id, n), null));
    }
    Command.Txn txn =
        new Command.Txn(
            compares,
            List.of(new Command.Put(checkKey, ServiceRegistry.encode(state), inst.lease(), false)),
            List.of());
    commit(gen, service, id, txn, statusWrites);
  }

  /** Removes instance {@code id} if a check of it has been critical for its deregister_after. */
  private void remove(long gen, String service, String id) {
    if (gen != generation) {
      return;
    }
    KeyValue inst = kvs.get(ServiceRegistry.instanceKey(service, id));
    if (inst == null) {
      return;
    }
    Instance view = ServiceRegistry.instance(service, id, inst, kvs::get);
    long now = clock.millis();
    long after = view.registration().deregisterAfterMs();
    List<Compare> compares = new ArrayList<>();
    compares.add(Lock.fence(LOCK, token));
    compares.add(ServiceRegistry.sameInstance(inst));
    boolean due = false;
    for (CheckView c : view.checks()) {
      if (after > 0
          && c.state().status() == Status.CRITICAL
          && c.state().sinceMs() + after <= now) {
        String k = ServiceRegistry.checkKey(service, id, c.index());
        compares.add(ServiceRegistry.unchanged(k, kvs.get(k)));
        due = true;
      }
    }
    if (!due) {
      reconcile(gen, service, id); // the clock said early: schedule again
      return;
    }
    log.accept(
        "removing instance "
            + id
            + " of service "
            + service
            + ": critical for "
            + Durations.format(after));
    Command.Txn txn =
        new Command.Txn(
            compares,
            List.of(Command.Delete.prefix(ServiceRegistry.instancePrefix(service, id))),
            List.of());
    commit(gen, service, id, txn, removals);
  }

  private void commit(long gen, String service, String id, Command.Txn txn, AtomicLong counter) {
    client
        .txn(txn)
        .whenCompleteAsync(
            (r, e) -> {
              if (gen != generation) {
                return;
              }
              if (e == null) {
                if (r.succeeded()) {
                  counter.incrementAndGet();
                }
                return; // a failed compare: the change that won comes through the watch
              }
              ErrorCode code = CairnException.codeOf(e);
              if (code == ErrorCode.FENCED) {
                stepDown(gen, e);
              } else if (code != ErrorCode.LEASE_NOT_FOUND) {
                // Not written (unavailable, timeout): look again in a while.
                executor.schedule(
                    () -> reconcile(gen, service, id), RETRY_MS, TimeUnit.MILLISECONDS);
              }
            },
            executor);
  }
}
