package dev.cairn.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.actors.replica.Replicas;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.cluster.Bootstrap;
import dev.cairn.http.cluster.CassandraGate;
import dev.cairn.http.cluster.ClosedPortDowning;
import dev.cairn.http.cluster.ClusterApi;
import dev.cairn.http.cluster.ClusterSettings;
import dev.cairn.http.cluster.JoinWatch;
import dev.cairn.http.cluster.PekkoVersions;
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
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.persistence.Persistence;
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
  private final ClusterSettings cluster;
  private final PrometheusMeterRegistry prometheus;
  private final Config http;
  private Listener client;
  private Listener ops;
  private CassandraGate gate;
  private volatile Services services;
  private volatile boolean stopping;

  private CairnServer(
      ActorSystem system,
      ClusterSettings cluster,
      PrometheusMeterRegistry prometheus,
      Config http) {
    this.system = system;
    this.cluster = cluster;
    this.prometheus = prometheus;
    this.http = http;
  }

  /**
   * Starts a node with {@code config} (falling back to the defaults) and waits until it serves
   * HTTP. With the embedded journal it serves requests at once. With Cassandra it serves {@code
   * /health}, {@code /ready} and {@code /metrics} at once and every other request with 503 {@code
   * cassandra_unreachable} until Cassandra has answered (see {@link CassandraGate}).
   *
   * @throws ClusterSettings.InvalidSettingException settings that cannot work (message for users)
   */
  public static CairnServer start(Config config) throws Exception {
    Config base = config.withFallback(ConfigFactory.load());
    ClusterSettings cluster = ClusterSettings.fromConfig(base);
    Config full = cluster.pekkoConfig().withFallback(base).resolve();
    if (full.getString("pekko.persistence.journal.plugin").equals("cairn.persistence.journal")) {
      // Pekko would only notice a locked journal when recovery times out; refuse to start instead.
      ForcedLogJournal.ensureNotLocked(Path.of(full.getString("cairn.persistence.journal.dir")));
    }
    cluster.checkPortFree();
    ActorSystem system = ActorSystem.create(ClusterSettings.SYSTEM_NAME, full);
    CassandraGate gate = null;
    try {
      PekkoVersions.check(system);
      Config c = system.settings().config().getConfig("cairn.http");
      Cluster pekkoCluster = Cluster.get(system);
      if (cluster.discovers()) {
        Bootstrap.start(system);
        if (cluster.closedPorts().down()) {
          ClosedPortDowning.start(system, cluster.closedPorts());
        }
      } else if (cluster.seeds().isEmpty()) {
        pekkoCluster.join(pekkoCluster.selfAddress());
      } else {
        JoinWatch.start(system, cluster);
        if (cluster.closedPorts().down()) {
          ClosedPortDowning.start(system, cluster.closedPorts());
        }
      }
      PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Metrics.addRegistry(prometheus);
      new JvmMemoryMetrics().bindTo(prometheus);
      new JvmGcMetrics().bindTo(prometheus);
      new JvmThreadMetrics().bindTo(prometheus);
      new ProcessorMetrics().bindTo(prometheus);
      new FileDescriptorMetrics().bindTo(prometheus);
      CairnServer server = new CairnServer(system, cluster, prometheus, c);
      Function<HttpRequest, CompletionStage<HttpResponse>> handler;
      if (cluster.shared()) {
        gate = CassandraGate.start(cluster, full);
        server.gate = gate;
        handler = server::handle; // the gated handler until Cassandra answers
      } else {
        server.open();
        handler = server.services.api(); // no indirection on the single node's path
      }
      ListenerSettings clientSettings = clientSettings(c);
      int opsPort = c.getInt("ops.port");
      ListenerSettings opsSettings =
          clientSettings.withName("ops").withMaxConnections(c.getInt("ops.max-connections"));
      clientSettings = withinDescriptorLimit(c, clientSettings, opsPort >= 0 ? opsSettings : null);
      server.client =
          Listener.bind(
                  system,
                  c.getString("host"),
                  c.getInt("port"),
                  clientSettings,
                  handler,
                  server::refusal,
                  prometheus)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      if (opsPort >= 0) {
        String opsHost =
            c.getString("ops.host").isEmpty() ? c.getString("host") : c.getString("ops.host");
        server.ops =
            Listener.bind(
                    system,
                    opsHost,
                    opsPort,
                    opsSettings,
                    server::handleOps,
                    server::handleOps,
                    prometheus)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
      }
      server.onShutdown(c.getDuration("shutdown-timeout"), prometheus);
      if (gate != null) {
        gate.opened()
            .thenRun(
                () -> {
                  if (!server.stopping) {
                    server.open();
                  }
                });
      }
      return server;
    } catch (Exception e) {
      if (gate != null) {
        gate.close();
      }
      system.terminate();
      throw e;
    }
  }

  /**
   * Starts what serves requests: the namespaces (whose leaders and registry use the journal) and
   * the API over them. With Cassandra it runs once the gate is open, so that no journal plugin
   * starts before Cassandra answers.
   */
  private synchronized void open() {
    if (services != null) {
      return;
    }
    // The journal and snapshot plugins start now rather than with this node's first persistent
    // actor: after a failover that actor is the leader taking over, and opening a Cassandra session
    // then would add a second to the outage.
    Persistence persistence = Persistence.get(system);
    persistence.journalFor("", ConfigFactory.empty());
    persistence.snapshotStoreFor("", ConfigFactory.empty());
    Namespaces namespaces = Namespaces.start(system);
    namespaces.bindMetrics(prometheus);
    // In a cluster, serializable reads and watches are served by this node's replicas.
    Replicas replicas = Replicas.startIfEnabled(system, namespaces);
    if (replicas != null) {
      replicas.bindMetrics(prometheus);
    }
    OpsApi.Condition journalAnswers =
        gate == null
            ? () -> CompletableFuture.completedFuture(null)
            : () ->
                gate.probe()
                    .thenApply(reason -> reason == null ? null : cassandraUnreachable(reason));
    OpsApi opsApi = new OpsApi(system, namespaces, prometheus, journalAnswers);
    // A session's locks run the lock recipe through the in-process client, as /v1/locks does.
    WatchSettings watchSettings = WatchSettings.fromConfig(system.settings().config());
    WatchApi watches =
        new WatchApi(
            system,
            namespaces,
            prometheus,
            ns -> new InProcessClient(system, namespaces, ns, watchSettings));
    ClusterApi clusterApi = new ClusterApi(system, cluster, namespaces);
    Api api =
        new Api(
            system,
            namespaces,
            opsApi,
            watches,
            clusterApi,
            http.getBytes("max-body-size"),
            Metrics.globalRegistry);
    // A session's calls run through the same routes as requests on the client port.
    watches.serveCalls(api);
    services = new Services(namespaces, opsApi, watches, api);
    if (gate != null) {
      log.info("Cassandra at {} answers: serving requests", gate.contactPoints());
    }
  }

  /** What serves requests once the journal can be used. */
  private record Services(Namespaces namespaces, OpsApi opsApi, WatchApi watches, Api api) {}

  /** The client listener's handler while Cassandra may not have answered yet. */
  private CompletionStage<HttpResponse> handle(HttpRequest r) {
    Services s = services;
    if (s != null) {
      return s.api().apply(r);
    }
    return notOpen(r);
  }

  private CompletionStage<HttpResponse> handleOps(HttpRequest r) {
    Services s = services;
    if (s != null) {
      return s.api().applyOps(r);
    }
    if (Api.isOpsPath(r)) {
      return notOpen(r);
    }
    r.discardEntityBytes(system);
    return CompletableFuture.completedFuture(
        Responses.problem(
            ErrorCode.NOT_FOUND, "this listener serves only /health, /ready and /metrics"));
  }

  /**
   * Before Cassandra has answered: {@code /health} and {@code /metrics} as usual, everything else
   * 503 {@code cassandra_unreachable} with the reason.
   */
  private CompletionStage<HttpResponse> notOpen(HttpRequest r) {
    r.discardEntityBytes(system);
    String path = r.getUri().path();
    if (path.equals("/health")) {
      return CompletableFuture.completedFuture(Responses.json(200, new OpsApi.Health("ok"), -1));
    }
    if (path.equals("/metrics")) {
      return CompletableFuture.completedFuture(
          HttpResponse.create()
              .withEntity(
                  org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_PLAIN.toContentType(
                      org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8),
                  prometheus.scrape()));
    }
    return CompletableFuture.completedFuture(cassandraUnreachable(gate.reason()));
  }

  private HttpResponse cassandraUnreachable(String reason) {
    return Responses.problem(
        ErrorCode.CASSANDRA_UNREACHABLE,
        "the journal's Cassandra at " + gate.contactPoints() + " does not answer: " + reason);
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
  private CompletionStage<HttpResponse> refusal(HttpRequest r) {
    if (Api.isOpsPath(r)) {
      return handleOps(r);
    }
    r.discardEntityBytes(system);
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
  private void onShutdown(Duration timeout, PrometheusMeterRegistry prometheus) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "cairn-unbind",
        () -> {
          Services s;
          synchronized (this) {
            stopping = true;
            s = services;
          }
          if (s != null) {
            s.opsApi().stopping();
          }
          client.goingAway();
          log.info(
              "stopping: {} client connections open, {} of them watch connections",
              client.open(),
              s == null ? 0 : s.watches().open());
          return client.unbind();
        });
    cs.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "cairn-drain",
        () -> {
          long t0 = System.nanoTime();
          Services s = services;
          CompletionStage<Integer> telling =
              s == null ? CompletableFuture.completedFuture(0) : s.watches().shutdown(timeout);
          return telling
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
          if (gate != null) {
            gate.close();
          }
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

  /** The client port's routes, or null while the node waits for Cassandra. */
  public Api api() {
    Services s = services;
    return s == null ? null : s.api();
  }

  /** The namespaces, or null while the node waits for Cassandra. */
  public Namespaces namespaces() {
    Services s = services;
    return s == null ? null : s.namespaces();
  }

  /** True when the node stopped because the cluster downed it. */
  public boolean downed() {
    return CoordinatedShutdown.get(system)
        .getShutdownReason()
        .filter(r -> r.equals(CoordinatedShutdown.clusterDowningReason()))
        .isPresent();
  }

  /** This node's cluster address, {@code pekko://cairn@host:port}. */
  public String clusterAddress() {
    return Cluster.get(system).selfAddress().toString();
  }

  /** This node's cluster settings. */
  public ClusterSettings cluster() {
    return cluster;
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
