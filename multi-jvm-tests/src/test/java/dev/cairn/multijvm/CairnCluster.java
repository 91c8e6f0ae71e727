package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.persistence.cassandra.TestCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * N real Cairn JVMs on 127.0.0.1 forming one cluster on the test Cassandra ({@link
 * TestCassandra#contactPoint()}), in a keyspace of their own, for tests that kill, pause and
 * restart nodes while clients work.
 *
 * <p>Each node has a fixed HTTP port, cluster port and data directory for the life of the harness,
 * so {@link #restart(int)} brings a node back at the same addresses, as an operator would. Every
 * node gets the same seed list, every node in index order, as docs/operations.md asks: node 0 forms
 * the cluster at the first start, and a restarted node 0 rejoins it (the server's own rule for a
 * first seed that has been a member, {@code cairn.cluster.member-file}).
 *
 * <p>{@link #start} returns once every node's {@code /ready} is 200 and every node's {@code
 * /v1/cluster} shows the N members Up and reachable. A {@link Formation} other than the seed list
 * (e.g. Kubernetes discovery) can leave room for nodes started later ({@link #add(int)}). Nodes are
 * indexed from 0; a node's index survives its restarts. {@link #close()} kills every node still
 * running.
 */
final class CairnCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static final Duration POLL = Duration.ofMillis(100);

  /**
   * How the harness starts its nodes.
   *
   * @param nodes how many Cairn JVMs
   * @param readyTimeout how long a node may take to be ready, and the cluster to show every member
   *     Up (generous: the test machine is small and shared)
   * @param jvmOptions extra options of every node's JVM (system properties override the server's
   *     configuration)
   */
  record Options(int nodes, Duration readyTimeout, List<String> jvmOptions) {

    /**
     * {@code nodes} nodes, three minutes to be ready, and failure detection relaxed for a loaded
     * machine: with the product's settings (1.5 s of silence, 1.5 s stable) heartbeats that arrive
     * seconds late on a busy 2-core machine (most of all while the JVMs start) get live nodes
     * downed. 15 s of silence and 5 s stable, as ClusterIT found it needs at load averages near 30
     * on 2 cores. A test that needs the product's timing passes its own options.
     */
    static Options relaxed(int nodes) {
      return new Options(
          nodes,
          Duration.ofMinutes(3),
          List.of(
              "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=15s",
              "-Dpekko.cluster.split-brain-resolver.stable-after=5s"));
    }
  }

  /**
   * How node {@code i} finds the cluster, instead of the seed list of every node: the JVM options,
   * environment and server arguments added to its launch.
   */
  interface Formation {
    Launch launch(int i, CairnCluster cluster) throws IOException;
  }

  /** What a {@link Formation} adds to a node's launch. */
  record Launch(List<String> jvmOptions, Map<String, String> environment, List<String> args) {}

  private final Options options;
  private final Formation formation;
  private final Path dir;
  private final String keyspace;
  private final String cassandra;
  private final int[] httpPorts;
  private final int[] clusterPorts;
  private final CairnProcess[] nodes;
  private final boolean[] suspended;

  /** Launched and not yet seen ready: the workload leaves such a node alone. */
  private final boolean[] starting;

  private final int[] incarnations;

  private CairnCluster(
      Options options,
      Formation formation,
      int capacity,
      Path dir,
      String keyspace,
      String cassandra)
      throws IOException {
    this.options = options;
    this.formation = formation;
    this.dir = dir;
    this.keyspace = keyspace;
    this.cassandra = cassandra;
    int n = capacity;
    this.httpPorts = new int[n];
    this.clusterPorts = new int[n];
    this.nodes = new CairnProcess[n];
    this.suspended = new boolean[n];
    this.starting = new boolean[n];
    this.incarnations = new int[n];
    Set<Integer> taken = new HashSet<>();
    for (int i = 0; i < n; i++) {
      httpPorts[i] = distinctFreePort(taken);
      clusterPorts[i] = distinctFreePort(taken);
    }
  }

  /**
   * Starts the nodes (all at once: the first forms the cluster, the others join it) and waits until
   * the cluster is ready. {@code name} names the work directory under {@code cairn.it.work-dir}
   * holding each node's data directory and log ({@code node<i>-<incarnation>.log}), kept for
   * post-mortems.
   */
  static CairnCluster start(String name, Options options) throws IOException {
    return start(name, options, TestCassandra.contactPoint());
  }

  /** As {@link #start(String, Options)}, on the Cassandra at {@code cassandra} (host:port,…). */
  static CairnCluster start(String name, Options options, String cassandra) throws IOException {
    return start(name, options, null, options.nodes(), cassandra);
  }

  /**
   * Starts nodes 0 to {@code options.nodes() - 1} with {@code formation} (null: the seed list),
   * with room for {@code capacity} nodes in all: the others are started later by {@link #add(int)}.
   */
  static CairnCluster start(
      String name, Options options, Formation formation, int capacity, String cassandra)
      throws IOException {
    Path work =
        Files.createDirectories(Path.of(System.getProperty("cairn.it.work-dir", "target/it-work")));
    Path dir = Files.createTempDirectory(work, name + "-");
    // A keyspace per cluster: its namespaces, journal and snapshots start empty. Cassandra allows
    // letters, digits and underscores, 48 characters at most.
    String keyspace =
        "it_"
            + ProcessHandle.current().pid()
            + "_"
            + CLUSTERS.incrementAndGet()
            + "_"
            + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    CairnCluster cluster = new CairnCluster(options, formation, capacity, dir, keyspace, cassandra);
    try {
      for (int i = 0; i < options.nodes(); i++) {
        cluster.launch(i);
      }
      for (int i = 0; i < options.nodes(); i++) {
        cluster.awaitReady(i);
      }
      cluster.awaitAllUp(options.readyTimeout());
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- faults

  /** SIGKILL of node {@code i}; returns once it has exited. */
  void kill9(int i) {
    nodes[i].kill9();
    suspended[i] = false;
  }

  /** SIGSTOP of node {@code i}: it freezes, its sockets stay open and nothing answers. */
  void suspend(int i) {
    nodes[i].suspend();
    suspended[i] = true;
  }

  /** SIGCONT of node {@code i}: a suspended node runs on from where it stopped. */
  void resume(int i) {
    nodes[i].resume();
    suspended[i] = false;
  }

  /**
   * SIGTERM of node {@code i} (a graceful leave: coordinated shutdown hands its leaders over), and
   * waits for it to exit; returns its exit code.
   */
  int terminate(int i, Duration timeout) {
    Integer code = nodes[i].terminate(timeout);
    if (code == null) {
      throw new IllegalStateException(
          "node " + i + " still runs " + timeout + " after SIGTERM; output:\n" + nodes[i].tail(60));
    }
    return code;
  }

  /**
   * Starts node {@code i} again, on its data directory and ports (it must have exited: kill it or
   * terminate it first), and waits until it is ready and every live node sees every live node Up. A
   * port taken meanwhile by another process fails the restart.
   */
  void restart(int i) throws IOException {
    launchAgain(i);
    awaitReady(i);
    awaitAllUp(options.readyTimeout());
  }

  /**
   * Starts node {@code i} again, on its data directory and ports (it must have exited), and returns
   * at once: the caller waits for what it expects ({@link #awaitReady(int)}, after which the node
   * counts as live again, and {@link #awaitAllUp}).
   */
  void launchAgain(int i) throws IOException {
    if (nodes[i] != null && nodes[i].isAlive()) {
      throw new IllegalStateException("node " + i + " still runs: stop it before a restart");
    }
    launch(i);
  }

  /**
   * Starts node {@code i} for the first time (a scale-up; {@link #start} left room for it) and
   * waits until it is ready and every live node sees every live node Up.
   */
  void add(int i) throws IOException {
    if (nodes[i] != null) {
      throw new IllegalStateException("node " + i + " has been started before");
    }
    restart(i);
  }

  /**
   * Starts every node again, all at once, on their data directories and ports (every one must have
   * exited): node 0, the first seed, has been a member, so it forms the cluster again once the
   * others answer that they are not members, and they join it; waits until the cluster is ready as
   * {@link #start} does.
   */
  void restartAll() throws IOException {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null && nodes[i].isAlive()) {
        throw new IllegalStateException("node " + i + " still runs: stop it before a restart");
      }
    }
    for (int i = 0; i < nodes.length; i++) {
      launch(i);
    }
    for (int i = 0; i < nodes.length; i++) {
      awaitReady(i);
    }
    awaitAllUp(options.readyTimeout());
  }

  /** Waits until node {@code i} is ready; from then on the workload may use it. */
  void awaitReady(int i) {
    nodes[i].awaitReady(options.readyTimeout());
    starting[i] = false;
  }

  // ---------------------------------------------------------------- views

  int size() {
    return nodes.length;
  }

  /** Node {@code i}'s current process. */
  CairnProcess node(int i) {
    return nodes[i];
  }

  /** The keyspace holding this cluster's journal and snapshots. */
  String keyspace() {
    return keyspace;
  }

  /** Node {@code i}'s cluster port. */
  int clusterPort(int i) {
    return clusterPorts[i];
  }

  /** Node {@code i}'s cluster address as the cluster names it ({@code pekko://cairn@host:port}). */
  String address(int i) {
    return "pekko://cairn@127.0.0.1:" + clusterPorts[i];
  }

  /** The index of the node with cluster address {@code address}, or -1. */
  int indexOf(String address) {
    for (int i = 0; i < nodes.length; i++) {
      if (address(i).equals(address)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether node {@code i} runs, has been seen ready since its start, and is not suspended. */
  boolean isLive(int i) {
    return nodes[i] != null && nodes[i].isAlive() && !suspended[i] && !starting[i];
  }

  /** The base URIs of the live nodes (running and not suspended), in index order. */
  List<URI> endpoints() {
    List<URI> live = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      if (isLive(i)) {
        live.add(nodes[i].uri("/"));
      }
    }
    return live;
  }

  /** {@link #endpoints()} as a supplier, read afresh at every call (for a workload). */
  Supplier<List<URI>> liveEndpoints() {
    return this::endpoints;
  }

  /** Node {@code i}'s {@code GET /v1/cluster}. */
  JsonNode clusterView(int i) throws IOException, InterruptedException {
    HttpResponse<String> r = Http.get(nodes[i].uri("/v1/cluster"));
    if (r.statusCode() != 200) {
      throw new IOException(
          "GET /v1/cluster on node " + i + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /**
   * The index of the node holding namespace {@code namespace}'s leader, as node {@code from}'s
   * {@code /v1/cluster} "leaders" says; -1 if it names no node of this cluster (none yet).
   */
  int leaderOf(String namespace, int from) throws IOException, InterruptedException {
    JsonNode leader = clusterView(from).path("leaders").path(namespace);
    return leader.isTextual() ? indexOf(leader.asText()) : -1;
  }

  /**
   * The index of the node holding namespace {@code namespace}'s leader, waiting (up to the ready
   * timeout) until every live node names the same live node: the views agree once sharding has
   * settled.
   */
  int leaderOf(String namespace) {
    int[] agreed = {-1};
    await(
        "every live node names the same live leader of " + namespace,
        options.readyTimeout(),
        () -> {
          int seen = -1;
          for (int i = 0; i < nodes.length; i++) {
            if (!isLive(i)) {
              continue;
            }
            int l;
            try {
              l = leaderOf(namespace, i);
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
            if (l < 0 || !isLive(l) || (seen >= 0 && l != seen)) {
              return false;
            }
            seen = l;
          }
          agreed[0] = seen;
          return seen >= 0;
        });
    return agreed[0];
  }

  /** The addresses node {@code i} sees Up and reachable. */
  Set<String> upMembers(int i) throws IOException, InterruptedException {
    Set<String> up = new TreeSet<>();
    for (JsonNode m : clusterView(i).path("members")) {
      if (m.path("status").asText().equals("up") && m.path("reachable").asBoolean()) {
        up.add(m.path("address").asText());
      }
    }
    return up;
  }

  /**
   * Waits until every live node sees exactly the live nodes Up and reachable (no unreachable or
   * downed member left).
   */
  void awaitAllUp(Duration timeout) {
    await(
        "every live node sees every live node Up",
        timeout,
        () -> {
          Set<String> expected = new TreeSet<>();
          for (int i = 0; i < nodes.length; i++) {
            if (isLive(i)) {
              expected.add(address(i));
            }
          }
          for (int i = 0; i < nodes.length; i++) {
            if (!isLive(i)) {
              continue;
            }
            try {
              if (!upMembers(i).equals(expected)) {
                return false;
              }
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          }
          return true;
        });
  }

  /**
   * Polls {@code condition} until it holds; fails after {@code timeout}, naming {@code what} and
   * the tail of every node's log.
   */
  void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + timeout + ": " + what + "\n" + logTails(30));
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  /** The last {@code lines} lines of every node's current log, for failure messages. */
  String logTails(int lines) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null) {
        b.append("---- node ")
            .append(i)
            .append(" (")
            .append(nodes[i].outputFile())
            .append(")\n")
            .append(nodes[i].tail(lines))
            .append('\n');
      }
    }
    return b.toString();
  }

  /** Kills every node still running. */
  @Override
  public void close() {
    for (CairnProcess p : nodes) {
      if (p != null) {
        if (p.state() == 'T') {
          p.resume(); // a stopped process dies of SIGKILL too, but let it go cleanly
        }
        p.close();
      }
    }
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("cluster " + dir + " keyspace " + keyspace + ":");
    for (int i = 0; i < nodes.length; i++) {
      b.append("\n  node ").append(i).append(' ').append(address(i)).append(' ');
      b.append(nodes[i] == null ? "not started" : nodes[i].toString());
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- helpers

  private void launch(int i) throws IOException {
    int incarnation = ++incarnations[i];
    starting[i] = true;
    List<String> jvm = new ArrayList<>();
    jvm.add("-Dcairn.persistence.cassandra-journal.keyspace=" + keyspace);
    jvm.add("-Dcairn.persistence.cassandra-snapshot-store.keyspace=" + keyspace);
    jvm.addAll(options.jvmOptions());
    List<String> args =
        new ArrayList<>(
            List.of(
                "--journal",
                "cassandra",
                "--cassandra",
                cassandra,
                "--cluster-port",
                Integer.toString(clusterPorts[i])));
    Map<String, String> environment = Map.of();
    if (formation == null) {
      List<String> seeds = new ArrayList<>();
      for (int k = 0; k < nodes.length; k++) {
        seeds.add("127.0.0.1:" + clusterPorts[k]);
      }
      args.add("--seed");
      args.add(String.join(",", seeds));
    } else {
      Launch l = formation.launch(i, this);
      jvm.addAll(l.jvmOptions());
      environment = l.environment();
      args.addAll(l.args());
    }
    nodes[i] =
        CairnProcess.launchOn(
            httpPorts[i],
            dir.resolve("node" + i),
            dir.resolve("node" + i + "-" + incarnation + ".log"),
            jvm,
            environment,
            args.toArray(String[]::new));
    suspended[i] = false;
  }

  private static int distinctFreePort(Set<Integer> taken) throws IOException {
    while (true) {
      int p = CairnProcess.freePort();
      if (taken.add(p)) {
        return p;
      }
    }
  }
}
