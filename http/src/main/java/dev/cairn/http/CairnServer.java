package dev.cairn.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.http.ops.OpsApi;
import dev.cairn.http.watch.WatchApi;
import dev.cairn.persistence.journal.ForcedLogJournal;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn node: an actor system that is a cluster member, the sharded namespace leaders, and the
 * HTTP API. {@link #close()} runs Pekko's coordinated shutdown: HTTP stops taking requests,
 * in-flight ones finish, then the journal closes.
 */
public final class CairnServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CairnServer.class);

  private final ActorSystem system;
  private final ServerBinding binding;
  private final Namespaces namespaces;

  private CairnServer(ActorSystem system, ServerBinding binding, Namespaces namespaces) {
    this.system = system;
    this.binding = binding;
    this.namespaces = namespaces;
  }

  /** Starts a node with {@code config} (falling back to the defaults) and waits until it serves. */
  public static CairnServer start(Config config) throws Exception {
    Config full = config.withFallback(ConfigFactory.load());
    if (full.getString("pekko.persistence.journal.plugin").equals("cairn.persistence.journal")) {
      // Pekko would only notice a locked journal when recovery times out; refuse to start instead.
      ForcedLogJournal.ensureNotLocked(Path.of(full.getString("cairn.persistence.journal.dir")));
    }
    ActorSystem system = ActorSystem.create("cairn", full);
    try {
      Config c = system.settings().config().getConfig("cairn.http");
      Cluster cluster = Cluster.get(system);
      if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.join(cluster.selfAddress());
      }
      PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Metrics.addRegistry(prometheus);
      new JvmMemoryMetrics().bindTo(prometheus);
      new JvmGcMetrics().bindTo(prometheus);
      new JvmThreadMetrics().bindTo(prometheus);
      new ProcessorMetrics().bindTo(prometheus);
      Namespaces namespaces = Namespaces.start(system);
      namespaces.bindMetrics(prometheus);
      OpsApi ops = new OpsApi(system, namespaces, prometheus);
      WatchApi watches = new WatchApi(system, namespaces, prometheus);
      Api api =
          new Api(
              system,
              namespaces,
              ops,
              watches,
              c.getBytes("max-body-size"),
              Metrics.globalRegistry);
      ServerBinding binding =
          Http.get(system)
              .newServerAt(c.getString("host"), c.getInt("port"))
              .bind(api::apply)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      CoordinatedShutdown.get(system)
          .addTask(
              CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
              "remove-metrics",
              () -> {
                Metrics.removeRegistry(prometheus);
                return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
              });
      return new CairnServer(system, binding, namespaces);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public String url() {
    return "http://" + binding.localAddress().getHostString() + ":" + port();
  }

  public ActorSystem system() {
    return system;
  }

  public Namespaces namespaces() {
    return namespaces;
  }

  /** Completes when the actor system has terminated. */
  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated().thenApply(t -> Done.getInstance());
  }

  @Override
  public void close() {
    try {
      CoordinatedShutdown.get(system)
          .runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("shutdown did not complete cleanly", e);
    }
  }
}
