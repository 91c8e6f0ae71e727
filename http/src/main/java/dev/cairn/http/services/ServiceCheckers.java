package dev.cairn.http.services;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.services.HealthChecker;
import dev.cairn.recipes.services.ServiceRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's {@link HealthChecker}s, one per namespace that has services, all confined to one
 * scheduler thread ({@code cairn-health-checks}) and probing through one {@link HttpProber}.
 *
 * <p>A checker starts when this node registers an instance in its namespace, and at start for every
 * namespace that has services: {@code default} when it has keys under {@link ServiceRegistry#ROOT},
 * and every namespace listed under {@link #NAMESPACES} in {@code default} (written at the first
 * registration in a namespace). Every node starts the same checkers; the lock in each namespace
 * makes one of them active. At shutdown the checkers revoke their leases, so another node's take
 * over at once.
 */
final class ServiceCheckers {
  private static final Logger log = LoggerFactory.getLogger(ServiceCheckers.class);

  /** In namespace {@code default}: one key per other namespace that has had services. */
  static final String NAMESPACES = "_cairn/service-namespaces/";

  private final ActorSystem system;
  private final Namespaces namespaces;
  private final ConcurrentHashMap<String, HealthChecker> checkers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService executor;
  private final HttpProber prober;
  private final long leaseTtlSeconds;

  ServiceCheckers(ActorSystem system, Namespaces namespaces, MeterRegistry metrics) {
    this.system = system;
    this.namespaces = namespaces;
    // A node started again in the same JVM (tests) counts with its own checkers, not the last's.
    for (String name :
        List.of(
            "cairn.services.checkers.active",
            "cairn.services.probes",
            "cairn.services.status.writes",
            "cairn.services.removals")) {
      metrics.find(name).meters().forEach(metrics::remove);
    }
    Gauge.builder("cairn.services.checkers.active", checkers, m -> count(HealthChecker::active))
        .description("namespaces whose health checks this node runs now")
        .register(metrics);
    FunctionCounter.builder("cairn.services.probes", this, c -> sum(HealthChecker::probes))
        .description("HTTP health probes started by this node")
        .register(metrics);
    FunctionCounter.builder(
            "cairn.services.status.writes", this, c -> sum(HealthChecker::statusWrites))
        .description("check status changes written by this node's checkers")
        .register(metrics);
    FunctionCounter.builder("cairn.services.removals", this, c -> sum(HealthChecker::removals))
        .description("instances removed after deregister_after by this node's checkers")
        .register(metrics);
    var c = system.settings().config().getConfig("cairn.services");
    this.leaseTtlSeconds = Math.max(1, c.getDuration("checker-lease-ttl").toSeconds());
    this.prober = new HttpProber(c.getInt("probe-threads"));
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cairn-health-checks");
              t.setDaemon(true);
              return t;
            });
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceRequestsDone(),
            "stop-health-checkers",
            () -> close().thenApply(v -> Done.getInstance()));
    system.scheduler().scheduleOnce(Duration.ZERO, this::startExisting, system.dispatcher());
  }

  /** Starts the checkers of the namespaces that had services before this node started. */
  private void startExisting() {
    InProcessClient dflt = new InProcessClient(system, namespaces, Namespaces.DEFAULT);
    dflt.prefix(ServiceRegistry.ROOT)
        .thenAccept(
            r -> {
              if (!r.kvs().isEmpty()) {
                ensure(Namespaces.DEFAULT);
              }
            });
    dflt.prefix(NAMESPACES)
        .thenAccept(
            r -> {
              for (KeyValue kv : r.kvs()) {
                ensure(kv.key().substring(NAMESPACES.length()));
              }
            })
        .exceptionally(
            e -> {
              // One line: a timeout while leaders recover at start is expected, not a bug.
              log.warn(
                  "could not list the namespaces with services ({}); their checks start at their"
                      + " next registration",
                  e.getCause() != null ? e.getCause().toString() : e.toString());
              return null;
            });
  }

  /** Starts namespace {@code ns}'s checker if this node has none. */
  void ensure(String ns) {
    checkers.computeIfAbsent(
        ns,
        n -> {
          HealthChecker[] self = new HealthChecker[1];
          HealthChecker c =
              new HealthChecker(
                  new InProcessClient(system, namespaces, n),
                  prober,
                  executor,
                  Clock.systemUTC(),
                  leaseTtlSeconds,
                  msg -> log.info("health checker of namespace {}: {}", n, msg),
                  () -> {
                    checkers.remove(n, self[0]);
                    log.info("health checker of namespace {} stopped: the namespace is gone", n);
                  });
          self[0] = c;
          c.start();
          if (!n.equals(Namespaces.DEFAULT)) {
            new InProcessClient(system, namespaces, Namespaces.DEFAULT)
                .put(NAMESPACES + n, Bytes.EMPTY, 0)
                .exceptionally(e -> null);
          }
          return c;
        });
  }

  private double count(java.util.function.Predicate<HealthChecker> p) {
    return checkers.values().stream().filter(p).count();
  }

  private double sum(java.util.function.ToLongFunction<HealthChecker> f) {
    return checkers.values().stream().mapToLong(f).sum();
  }

  /** The checker of {@code ns} on this node, or null. */
  HealthChecker checker(String ns) {
    return checkers.get(ns);
  }

  private CompletableFuture<Void> close() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (HealthChecker c : checkers.values()) {
      all.add(c.close().toCompletableFuture());
    }
    checkers.clear();
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, 5, TimeUnit.SECONDS)
        .whenComplete(
            (v, e) -> {
              executor.shutdownNow();
              prober.close();
            });
  }
}
