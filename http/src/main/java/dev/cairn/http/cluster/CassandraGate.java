package dev.cairn.http.cluster;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.typesafe.config.Config;
import dev.cairn.persistence.cassandra.CassandraJournalSettings;
import dev.cairn.persistence.cassandra.CassandraSnapshotSettings;
import dev.cairn.persistence.cassandra.CassandraSnapshotStore;
import dev.cairn.persistence.cassandra.JournalSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits, at start, until Cassandra answers, and then keeps checking that it does for readiness.
 *
 * <p>The journal and snapshot plugins connect to Cassandra when first used and cannot start without
 * it (Pekko does not restart a plugin that failed to start), so nothing may touch them before
 * Cassandra answers. The gate tries to create their schema (idempotent, and it makes the plugins'
 * own start quick), on a thread of its own: until that succeeds it retries with a backoff from
 * {@code cassandra-retry-min} doubling up to {@code cassandra-retry-max}, logging each failure with
 * its reason, and {@link #opened()} is incomplete; the node then answers {@code /ready} and
 * requests with 503 {@code cassandra_unreachable}. Once open, {@link #probe()} asks Cassandra a
 * trivial query for every readiness check.
 */
public final class CassandraGate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CassandraGate.class);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  private final ClusterSettings cluster;
  private final CassandraJournalSettings journal;
  private final CassandraSnapshotSettings snapshots;
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private volatile String reason = "the first attempt to reach it is under way";
  private volatile boolean closed;
  private volatile CqlSession probeSession;
  private volatile DriverConfigLoader probeConfig;
  private final Thread thread;

  private CassandraGate(ClusterSettings cluster, Config config) {
    this.cluster = cluster;
    this.journal =
        CassandraJournalSettings.fromConfig(
            config.getConfig("cairn.persistence.cassandra-journal"));
    this.snapshots =
        CassandraSnapshotSettings.fromConfig(
            config.getConfig("cairn.persistence.cassandra-snapshot-store"));
    this.thread = new Thread(this::run, "cairn-cassandra-gate");
    thread.setDaemon(true);
  }

  /** Starts trying to reach Cassandra as {@code config} (the node's whole config) says. */
  public static CassandraGate start(ClusterSettings cluster, Config config) {
    CassandraGate gate = new CassandraGate(cluster, config);
    gate.thread.start();
    return gate;
  }

  /** Completes once Cassandra has answered and the schema exists. */
  public CompletionStage<Void> opened() {
    return opened;
  }

  public boolean isOpen() {
    return opened.isDone();
  }

  /** Why Cassandra cannot be reached yet, for messages. */
  public String reason() {
    return reason;
  }

  /** The contact points, for messages. */
  public String contactPoints() {
    return String.join(",", cluster.cassandra());
  }

  private void run() {
    Duration wait = cluster.retryMin();
    for (int attempt = 1; !closed; attempt++) {
      try {
        JournalSchema.create(journal);
        CassandraSnapshotStore.createSchema(snapshots);
        probeConfig =
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, PROBE_TIMEOUT)
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .withString(DefaultDriverOption.METRICS_FACTORY_CLASS, "NoopMetricsFactory")
                .build();
        probeSession =
            CqlSession.builder()
                .addContactPoints(journal.contactPoints())
                .withLocalDatacenter(journal.localDatacenter())
                .withConfigLoader(probeConfig)
                .build();
        if (attempt > 1) {
          log.info("Cassandra at {} answers after {} attempts", contactPoints(), attempt);
        }
        opened.complete(null);
        return;
      } catch (RuntimeException e) {
        reason = describe(e);
        log.warn(
            "Cassandra at {} is unreachable ({}); attempt {} failed, retrying in {} ms."
                + " Requests get 503 cassandra_unreachable meanwhile.",
            contactPoints(),
            reason,
            attempt,
            wait.toMillis());
      }
      try {
        TimeUnit.NANOSECONDS.sleep(wait.toNanos());
      } catch (InterruptedException e) {
        return;
      }
      wait = wait.multipliedBy(2);
      if (wait.compareTo(cluster.retryMax()) > 0) {
        wait = cluster.retryMax();
      }
    }
  }

  /** A one-line reason: each contact point with the first error it gave. */
  static String describe(Throwable e) {
    if (e instanceof AllNodesFailedException all && !all.getAllErrors().isEmpty()) {
      StringBuilder b = new StringBuilder("no contact point answers:");
      for (Map.Entry<Node, List<Throwable>> n : all.getAllErrors().entrySet()) {
        b.append(' ')
            .append(n.getKey().getEndPoint())
            .append(" (")
            .append(n.getValue().isEmpty() ? "no error" : oneLine(n.getValue().get(0)))
            .append(')');
      }
      return b.toString();
    }
    return oneLine(e);
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    m = m.replace('\n', ' ');
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  /**
   * Completes with null when Cassandra answers a trivial query within two seconds, else with the
   * reason it does not. Before the gate is open, completes with the reason at once.
   */
  public CompletionStage<String> probe() {
    CqlSession s = probeSession;
    if (!isOpen() || s == null) {
      return CompletableFuture.completedFuture(reason);
    }
    return s.executeAsync("SELECT release_version FROM system.local")
        .handle((rs, err) -> err == null ? null : describe(err));
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    CqlSession s = probeSession;
    if (s != null) {
      s.closeAsync();
    }
    DriverConfigLoader c = probeConfig;
    if (c != null) {
      c.close();
    }
  }
}
