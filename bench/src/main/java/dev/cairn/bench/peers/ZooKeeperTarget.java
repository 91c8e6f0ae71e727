package dev.cairn.bench.peers;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Completion;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Outcome;
import dev.cairn.bench.load.target.Target;
import dev.cairn.bench.load.target.Workload;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * ZooKeeper through its asynchronous client API. A put is {@code setData} (version -1) on an
 * existing znode; a linearizable read is {@code sync} followed by {@code getData} on the same
 * session, sent back to back and timed from the sync's send to the data's arrival. Key {@code
 * bench/k0000042} is znode {@code /bench/k0000042}; preloading creates the parents and the znodes.
 *
 * <p>Logical clients share {@code sessions} sessions round-robin (one session per client when there
 * are as many sessions as clients). Within a session ZooKeeper keeps requests in order, so clients
 * sharing one have their requests pipelined on one connection.
 */
public final class ZooKeeperTarget implements Target {

  private final List<ZooKeeper> sessions = new ArrayList<>();
  private final String[] paths;
  private final byte[] value;
  private final ErrorSamples errors;

  /**
   * Connects {@code sessionCount} sessions to {@code connectString} and creates the parents of the
   * key space.
   */
  public ZooKeeperTarget(
      String connectString,
      int sessionCount,
      Duration sessionTimeout,
      Workload workload,
      ErrorSamples errors)
      throws IOException, InterruptedException, KeeperException {
    this.errors = errors;
    if (sessionCount <= 0) {
      throw new IllegalArgumentException("sessions must be positive: " + sessionCount);
    }
    this.value = workload.value();
    this.paths = new String[workload.keys()];
    for (int i = 0; i < paths.length; i++) {
      paths[i] = "/" + workload.key(i);
    }
    try {
      for (int i = 0; i < sessionCount; i++) {
        sessions.add(ZooKeeperSessions.open(connectString, sessionTimeout, event -> {}));
      }
      ZooKeeperSessions.createPath(sessions.get(0), paths[0], false);
    } catch (IOException | InterruptedException | KeeperException | RuntimeException e) {
      close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "zookeeper";
  }

  @Override
  public String clientDescription() {
    return "zookeeper-async/" + sessions.size() + "-sessions";
  }

  @Override
  public ClientChannel open(int index) {
    return new Channel(sessions.get(index % sessions.size()));
  }

  /** Closes the sessions in parallel: each close waits for the server to log it. */
  @Override
  public void close() {
    closeAll(sessions);
    sessions.clear();
  }

  /** Closes {@code sessions} in parallel (each close waits for the server to log it). */
  public static void closeAll(List<ZooKeeper> sessions) {
    if (sessions.isEmpty()) {
      return;
    }
    ExecutorService closer = Executors.newFixedThreadPool(Math.min(sessions.size(), 32));
    try {
      for (ZooKeeper zk : sessions) {
        closer.execute(
            () -> {
              try {
                zk.close(2_000);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
    } finally {
      closer.shutdown();
      try {
        closer.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Outcome judge(String what, String path, int rc) {
    KeeperException.Code code = KeeperException.Code.get(rc);
    if (code == KeeperException.Code.OK) {
      return Outcome.OK;
    }
    errors.note(what + " " + path + ": " + code);
    return switch (code) {
      case CONNECTIONLOSS, SESSIONEXPIRED, SESSIONMOVED, OPERATIONTIMEOUT -> Outcome.IO_ERROR;
      default -> Outcome.FAILED;
    };
  }

  private final class Channel implements ClientChannel {
    private final ZooKeeper zk;

    Channel(ZooKeeper zk) {
      this.zk = zk;
    }

    @Override
    public void put(int key, Completion done) {
      zk.setData(
          paths[key],
          value,
          -1,
          (rc, path, ctx, stat) -> done.complete(judge("setData", path, rc)),
          null);
    }

    /**
     * Sends the sync and the read back to back: a session's requests are processed and answered in
     * order, so the read is served after the sync and both answers arrive in that order, on the
     * session's event thread.
     */
    @Override
    public void get(int key, Completion done) {
      String path = paths[key];
      Outcome[] synced = new Outcome[1];
      zk.sync(path, (rc, p, ctx) -> synced[0] = judge("sync", p, rc), null);
      zk.getData(
          path,
          false,
          (rc, p, ctx, data, stat) -> {
            Outcome read = judge("getData", p, rc);
            if (synced[0] == null) {
              errors.note("getData " + p + " answered before its sync");
              done.complete(Outcome.FAILED);
            } else {
              done.complete(synced[0].ok() ? read : synced[0]);
            }
          },
          null);
    }

    @Override
    public void load(int key, Completion done) {
      zk.create(
          paths[key],
          value,
          ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT,
          (rc, path, ctx, name) -> {
            if (KeeperException.Code.get(rc) == KeeperException.Code.NODEEXISTS) {
              put(key, done);
            } else {
              done.complete(judge("create", path, rc));
            }
          },
          null);
    }

    @Override
    public void abort() {
      // A session keeps its requests in order; a late answer is ignored by the caller.
    }

    @Override
    public void close() {
      // Sessions are shared and closed with the target.
    }
  }
}
