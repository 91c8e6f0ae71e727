package dev.cairn.bench.lock;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.queue.SimpleDistributedQueue;
import org.apache.curator.retry.RetryOneTime;

/**
 * ZooKeeper with Curator's {@code InterProcessMutex}: each contender has a Curator client, and so a
 * ZooKeeper session (the session is its lease), and a mutex on the same path. With {@link Recipe}:
 * {@code InterProcessSemaphoreV2} ({@code permits} leases), or {@code SimpleDistributedQueue},
 * whose turn is offer → take (the acquire); its take deletes the item, so there is no ack
 * (at-most-once delivery) and the release does nothing.
 */
final class CuratorLockPeer implements LockPeer {
  private final String connect;
  private final Duration sessionTimeout;
  private final String path;
  private final Recipe recipe;
  private final int permits;

  CuratorLockPeer(String connect, Duration sessionTimeout, String path) {
    this(connect, sessionTimeout, path, Recipe.LOCK, 1);
  }

  CuratorLockPeer(
      String connect, Duration sessionTimeout, String path, Recipe recipe, int permits) {
    this.recipe = recipe;
    this.permits = permits;
    // No SASL: the bench's server has none, and probing for it delays every session's start.
    System.setProperty("zookeeper.sasl.client", "false");
    this.connect = connect;
    this.sessionTimeout = sessionTimeout;
    this.path = path;
  }

  @Override
  public String driver() {
    return switch (recipe) {
      case LOCK -> "curator InterProcessMutex, a session per contender";
      case SEMAPHORE ->
          "curator InterProcessSemaphoreV2, " + permits + " leases, a session per contender";
      case QUEUE -> "curator SimpleDistributedQueue offer, take (no ack), a session per contender";
    };
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
    if (recipe == Recipe.SEMAPHORE) {
      InterProcessSemaphoreV2 semaphore = new InterProcessSemaphoreV2(client, path, permits);
      return new Contender() {
        private Lease lease;

        @Override
        public void acquire() throws Exception {
          lease = semaphore.acquire();
        }

        @Override
        public void release() throws Exception {
          semaphore.returnLease(lease);
        }

        @Override
        public void close() {
          client.close();
        }
      };
    }
    if (recipe == Recipe.QUEUE) {
      SimpleDistributedQueue queue = new SimpleDistributedQueue(client, path);
      byte[] item = Integer.toString(index).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      return new Contender() {
        @Override
        public void acquire() throws Exception {
          queue.offer(item);
          queue.take();
        }

        @Override
        public void release() {}

        @Override
        public void close() {
          client.close();
        }
      };
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
