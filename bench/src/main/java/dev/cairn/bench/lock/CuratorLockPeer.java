package dev.cairn.bench.lock;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;

/**
 * ZooKeeper with Curator's {@code InterProcessMutex}: each contender has a Curator client, and so a
 * ZooKeeper session (the session is its lease), and a mutex on the same path.
 */
final class CuratorLockPeer implements LockPeer {
  private final String connect;
  private final Duration sessionTimeout;
  private final String path;

  CuratorLockPeer(String connect, Duration sessionTimeout, String path) {
    // No SASL: the bench's server has none, and probing for it delays every session's start.
    System.setProperty("zookeeper.sasl.client", "false");
    this.connect = connect;
    this.sessionTimeout = sessionTimeout;
    this.path = path;
  }

  @Override
  public String driver() {
    return "curator InterProcessMutex, a session per contender";
  }

  @Override
  public Contender open(int index) throws Exception {
    CuratorFramework client =
        CuratorFrameworkFactory.builder()
            .connectString(connect)
            .sessionTimeoutMs((int) sessionTimeout.toMillis())
            .connectionTimeoutMs(15_000)
            .retryPolicy(new RetryOneTime(100))
            .build();
    client.start();
    if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
      client.close();
      throw new IllegalStateException("no ZooKeeper session to " + connect + " within 30 s");
    }
    InterProcessMutex mutex = new InterProcessMutex(client, path);
    return new Contender() {
      @Override
      public void acquire() throws Exception {
        mutex.acquire();
      }

      @Override
      public void release() throws Exception {
        mutex.release();
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  @Override
  public void close() {}
}
