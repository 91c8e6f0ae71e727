package dev.cairn.bench.peers;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * Opening ZooKeeper sessions and creating paths, for the load generator and the watch benchmark.
 */
public final class ZooKeeperSessions {
  private ZooKeeperSessions() {}

  /**
   * A session to {@code connect} (SASL off), once it is connected; {@code onState} sees every state
   * change of the session, the first connection included.
   */
  public static ZooKeeper open(String connect, Duration sessionTimeout, Watcher onState)
      throws IOException, InterruptedException {
    ZKClientConfig config = new ZKClientConfig();
    config.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            connect,
            (int) sessionTimeout.toMillis(),
            event -> {
              if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
              }
              onState.process(event);
            },
            config);
    if (!connected.await(Math.max(30_000, sessionTimeout.toMillis()), TimeUnit.MILLISECONDS)) {
      zk.close();
      throw new IOException("ZooKeeper session to " + connect + " did not connect");
    }
    return zk;
  }

  /**
   * Creates every ancestor of {@code path}, and {@code path} itself when {@code self}, as empty
   * persistent znodes; the ones already there are left as they are.
   */
  public static void createPath(ZooKeeper zk, String path, boolean self)
      throws KeeperException, InterruptedException {
    for (int slash = path.indexOf('/', 1); ; slash = path.indexOf('/', slash + 1)) {
      if (slash < 0 && !self) {
        return;
      }
      try {
        zk.create(
            slash < 0 ? path : path.substring(0, slash),
            new byte[0],
            ZooDefs.Ids.OPEN_ACL_UNSAFE,
            CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // already there
      }
      if (slash < 0) {
        return;
      }
    }
  }
}
