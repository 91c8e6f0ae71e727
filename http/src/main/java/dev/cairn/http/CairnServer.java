package dev.cairn.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.listener.FileDescriptors;
import dev.cairn.http.listener.Listener;
import dev.cairn.http.listener.ListenerSettings;
import dev.cairn.http.ops.OpsApi;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.http.watch.WatchApi;
import dev.cairn.http.watch.WatchSettings;
import dev.cairn.persistence.journal.ForcedLogJournal;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn node: an actor system that is a cluster member, the sharded namespace leaders, and the
 * HTTP API on its listener (and, if configured, a second listener for probes and metrics). {@link
 * #close()} runs Pekko's coordinated shutdown: the listener stops accepting, watch clients are told
 * to resume elsewhere, in-flight requests finish, then the journal closes.
 */
public final class CairnServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CairnServer.class);

  private final ActorSystem system;
  private final Listener client;
  private final Listener ops;
  private final Namespaces namespaces;

  private CairnServer(ActorSystem system, Listener client, Listener ops, Namespaces namespaces) {
    this.system = system;
    this.client = client;
    this.ops = ops;
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
      new FileDescriptorMetrics().bindTo(prometheus);
      Namespaces namespaces = Namespaces.start(system);
      namespaces.bindMetrics(prometheus);
      OpsApi opsApi = new OpsApi(system, namespaces, prometheus);
      // A session's locks run the lock recipe through the in-process client, as /v1/locks does.
      WatchSettings watchSettings = WatchSettings.fromConfig(system.settings().config());
      WatchApi watches =
          new WatchApi(
              system,
              namespaces,
              prometheus,
              ns -> new InProcessClient(system, namespaces, ns, watchSettings));
      Api api =
          new Api(
              system,
              namespaces,
              opsApi,
              watches,
              c.getBytes("max-body-size"),
              Metrics.globalRegistry);
      ListenerSettings clientSettings = clientSettings(c);
      int opsPort = c.getInt("ops.port");
      ListenerSettings opsSettings =
          clientSettings.withName("ops").withMaxConnections(c.getInt("ops.max-connections"));
      clientSettings = withinDescriptorLimit(c, clientSettings, opsPort >= 0 ? opsSettings : null);
      Listener client =
          Listener.bind(
                  system,
                  c.getString("host"),
                  c.getInt("port"),
                  clientSettings,
                  api,
                  r -> refusal(api, r),
                  prometheus)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      Listener ops = null;
      if (opsPort >= 0) {
        String opsHost =
            c.getString("ops.host").isEmpty() ? c.getString("host") : c.getString("ops.host");
        ops =
            Listener.bind(
                    system, opsHost, opsPort, opsSettings, api::applyOps, api::applyOps, prometheus)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
      }
      CairnServer server = new CairnServer(system, client, ops, namespaces);
      server.onShutdown(watches, opsApi, c.getDuration("shutdown-timeout"), prometheus);
      return server;
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  private static ListenerSettings clientSettings(Config c) {
    return new ListenerSettings(
        "client",
        c.getInt("max-connections"),
        c.getInt("max-refusing-connections"),
        c.getDuration("refusal-timeout"),
        c.getDuration("idle-timeout"),
        c.getDuration("header-timeout"),
        c.getInt("pipelining"));
  }

  /**
   * Checks that the file-descriptor limit holds the connections configured, and lowers the client
   * limit to what fits if not (saying so): a node out of descriptors could not open its next
   * journal segment either.
   */
  private static ListenerSettings withinDescriptorLimit(
      Config c, ListenerSettings client, ListenerSettings ops) {
    OptionalLong fdLimit = FileDescriptors.limit();
    if (fdLimit.isEmpty()) {
      return client;
    }
    long others =
        c.getLong("reserved-file-descriptors")
            + client.maxRefusing()
            + (ops == null ? 0 : ops.maxConnections() + ops.maxRefusing());
    long needed = client.maxConnections() + others;
    if (fdLimit.getAsLong() >= needed) {
      log.info(
          "file descriptor limit {} holds cairn.http.max-connections = {} ({} needed)",
          fdLimit.getAsLong(),
          client.maxConnections(),
          needed);
      return client;
    }
    int fits =
        FileDescriptors.connectionsWithin(fdLimit.getAsLong(), client.maxConnections(), others);
    if (fits < 1) {
      throw new IllegalStateException(
          "the file descriptor limit ("
              + fdLimit.getAsLong()
              + ") is too low to serve any connection: "
              + others
              + " are needed besides connections; raise it (ulimit -n, systemd LimitNOFILE)");
    }
    log.warn(
        "file descriptor limit {} is too low for cairn.http.max-connections = {}: {} are needed"
            + " ({} besides connections); serving at most {} connections. Raise the limit (ulimit -n,"
            + " systemd LimitNOFILE) or lower cairn.http.max-connections",
        fdLimit.getAsLong(),
        client.maxConnections(),
        needed,
        others,
        fits);
    return client.withMaxConnections(fits);
  }

  /**
   * The answer to a connection refused at the limit: a probe or a scrape is answered (monitoring
   * must see a node at its limit), anything else gets 503 too_many_connections.
   */
  private static CompletionStage<HttpResponse> refusal(Api api, HttpRequest r) {
    if (Api.isOpsPath(r)) {
      return api.applyOps(r);
    }
    r.discardEntityBytes(api.system());
    return CompletableFuture.completedFuture(
        Responses.problem(
            ErrorCode.TOO_MANY_CONNECTIONS,
            "this node holds as many connections as it may; retry later or elsewhere"));
  }

  /**
   * Shutdown, in Pekko's coordinated-shutdown phases: stop accepting and tell readiness probes;
   * tell watch clients to resume elsewhere (SSE: a final {@code shutdown} event; WebSocket: close
   * 1001 "going away"); let requests in flight finish, closing each connection when idle, until
   * {@code timeout}; then close the rest. The ops listener answers until the end.
   */
  private void onShutdown(
      WatchApi watches, OpsApi opsApi, Duration timeout, PrometheusMeterRegistry prometheus) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "cairn-unbind",
        () -> {
          opsApi.stopping();
          client.goingAway();
          log.info(
              "stopping: {} client connections open, {} of them watch connections",
              client.open(),
              watches.open());
          return client.unbind();
        });
    cs.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "cairn-drain",
        () -> {
          long t0 = System.nanoTime();
          return watches
              .shutdown(timeout)
              .thenCompose(
                  told -> {
                    if (told > 0) {
                      log.info("told {} watch connections to resume elsewhere", told);
                    }
                    Duration left = timeout.minusNanos(System.nanoTime() - t0);
                    return client.drain(left.isNegative() ? Duration.ZERO : left);
                  })
              .thenApply(
                  forced -> {
                    if (forced > 0) {
                      log.warn(
                          "closed {} connections still busy after the shutdown timeout of {}",
                          forced,
                          timeout);
                    }
                    log.info(
                        "client connections closed in {} ms",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    return Done.getInstance();
                  });
        });
    cs.addTask(
        CoordinatedShutdown.PhaseServiceStop(),
        "cairn-ops-stop",
        () -> {
          if (ops == null) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          return ops.unbind()
              .thenCompose(d -> ops.drain(Duration.ofSeconds(1)))
              .thenApply(n -> Done.getInstance());
        });
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "remove-metrics",
        () -> {
          Metrics.removeRegistry(prometheus);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  public int port() {
    return client.address().getPort();
  }

  public String url() {
    return "http://" + client.address().getHostString() + ":" + port();
  }

  /** The port of the ops listener ({@code cairn.http.ops.port}), or -1 if there is none. */
  public int opsPort() {
    return ops == null ? -1 : ops.address().getPort();
  }

  /** The client connections' limit in force (lowered if the descriptor limit is too low). */
  public int maxConnections() {
    return client.settings().maxConnections();
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
