package dev.cairn.bench.watch;

import dev.cairn.bench.http.JsonScan;
import dev.cairn.bench.peers.ZooKeeperSessions;
import dev.cairn.bench.peers.ZooKeeperTarget;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * ZooKeeper with persistent recursive watches. The watched prefix {@code a/b/<run>/} is the znode
 * {@code /a/b/<run>}, and put {@code i} is {@code setData} on its own child {@code /a/b/<run>/<i, 8
 * digits>}, created (empty) before the watches are added, so a notification's path names the put it
 * reports. Each watcher is its own {@link Watcher} object added with {@code addWatch(parent,
 * watcher, PERSISTENT_RECURSIVE)}; the watchers are spread over {@code --connections} sessions, and
 * the writer has a session of its own.
 *
 * <p>Two things differ from Cairn and etcd. ZooKeeper's server sends one notification per session
 * and event, and the client library hands it to every watcher of the session in turn, on the
 * session's event thread. And notifications carry no data (path, type and zxid only): the latency
 * is the notification's, from the put's scheduled send time (kept by the writer, in this process)
 * to the watcher's {@code process} call. Missed, duplicate and out-of-order are counted per watcher
 * by put number, and {@code zxid_mismatch} counts puts whose notification carried another zxid than
 * the one {@code setData} reported (none expected).
 */
final class ZooKeeperWatch implements WatchPeer {

  /** Child creations in flight at most while preparing. */
  static final int CREATE_WINDOW = 1000;

  private final String connect;
  private final int watchers;
  private final int sessionCount;
  private final Duration sessionTimeout;
  private final int total;
  private final PrintStream log;
  private final AtomicLongArray sentAt;
  private final AtomicLongArray ackedZxid;
  private final AtomicLongArray notifiedZxid;
  private final List<ZooKeeper> sessions = new ArrayList<>();
  private volatile boolean closing;
  private ZooKeeper writer;
  private String parent;
  private List<ZooKeeperReceiver> groups = List.of();

  /**
   * @param connect the connect string, e.g. {@code 127.0.0.1:2181}
   * @param watchers watchers in all
   * @param sessionCount sessions the watchers are spread over
   * @param total puts the run will make (one child each)
   */
  ZooKeeperWatch(
      String connect,
      int watchers,
      int sessionCount,
      Duration sessionTimeout,
      int total,
      PrintStream log) {
    this.connect = connect;
    this.watchers = watchers;
    this.sessionCount = sessionCount;
    this.sessionTimeout = sessionTimeout;
    this.total = total;
    this.log = log;
    this.sentAt = new AtomicLongArray(total);
    this.ackedZxid = new AtomicLongArray(total);
    this.notifiedZxid = new AtomicLongArray(total);
  }

  /** The znode of a watched prefix: {@code bench/watch/ab12/} is {@code /bench/watch/ab12}. */
  static String parentOf(String watched) {
    String p = watched.endsWith("/") ? watched.substring(0, watched.length() - 1) : watched;
    return p.startsWith("/") ? p : "/" + p;
  }

  /** The child put {@code i} writes. */
  static String child(String parent, int i) {
    return parent + "/" + String.format("%08d", i);
  }

  /**
   * The put a notification path names, or -1 when it is not a child {@code parent/<i>}, i < total.
   */
  static int seqOf(String path, String parent, int total) {
    if (path == null
        || path.length() != parent.length() + 9
        || !path.startsWith(parent)
        || path.charAt(parent.length()) != '/') {
      return -1;
    }
    long seq = JsonScan.parseLong(path, parent.length() + 1, path.length());
    return seq < 0 || seq >= total ? -1 : (int) seq;
  }

  @Override
  public String name() {
    return "zookeeper";
  }

  @Override
  public int connections() {
    return sessionCount;
  }

  @Override
  public void describe(Map<String, Object> json) {
    long mismatch = 0;
    for (ZooKeeperReceiver g : groups) {
      synchronized (g) {
        mismatch += g.zxidMismatch;
      }
    }
    for (int i = 0; i < total; i++) {
      long acked = ackedZxid.get(i);
      long notified = notifiedZxid.get(i);
      if (acked != 0 && notified != 0 && acked != notified) {
        mismatch++;
      }
    }
    json.put("zxid_mismatch", mismatch);
    json.put(
        "note",
        "persistent recursive watches, sessions = connections (+1 writer session); the server"
            + " notifies each session once and the client hands the notification to each of the"
            + " session's watchers; notifications carry no data: latency is to the notification,"
            + " matched to its put by path (one child znode per put)");
  }

  private ZooKeeper connect(Watcher onState) throws IOException, InterruptedException {
    ZooKeeper zk = ZooKeeperSessions.open(connect, sessionTimeout, onState);
    synchronized (sessions) {
      sessions.add(zk);
    }
    return zk;
  }

  @Override
  public long prepare(String runId, String watched, int totalPuts) throws Exception {
    if (totalPuts != total) {
      throw new IllegalArgumentException("prepared for " + total + " puts, not " + totalPuts);
    }
    parent = parentOf(watched);
    writer =
        connect(
            event -> {
              if (event.getState() != Watcher.Event.KeeperState.SyncConnected && !closing) {
                log.printf("[watch] writer session: %s%n", event.getState());
              }
            });
    ZooKeeperSessions.createPath(writer, parent, true);
    long t0 = System.nanoTime();
    Semaphore window = new Semaphore(CREATE_WINDOW);
    CountDownLatch done = new CountDownLatch(total);
    AtomicReference<String> failure = new AtomicReference<>();
    for (int i = 0; i < total && failure.get() == null; i++) {
      if (!window.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new IOException("creating the children: no answer within 60 s");
      }
      writer.create(
          child(parent, i),
          new byte[0],
          ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT,
          (rc, path, ctx, name) -> {
            window.release();
            if (rc != KeeperException.Code.OK.intValue()) {
              failure.compareAndSet(null, "create " + path + ": " + KeeperException.Code.get(rc));
            }
            done.countDown();
          },
          null);
    }
    if (failure.get() == null && !done.await(120, TimeUnit.SECONDS)) {
      failure.compareAndSet(null, done.getCount() + " child creations unanswered after 120 s");
    }
    if (failure.get() != null) {
      throw new IOException(failure.get());
    }
    log.printf(
        "[watch] created %d children of %s in %.1fs%n",
        total, parent, (System.nanoTime() - t0) / 1e9);
    return 0; // put i counts as revision i + 1
  }

  @Override
  public List<ZooKeeperReceiver> open(String watched, long r0, long warmupPuts) throws Exception {
    if (r0 != 0) {
      throw new IllegalArgumentException("ZooKeeper puts are numbered from revision 1");
    }
    // Same split as Cairn's connections: the first (watchers % sessions) sessions get one more.
    List<ZooKeeperReceiver> out = new ArrayList<>(sessionCount);
    int base = 0;
    for (int g = 0; g < sessionCount; g++) {
      int n = watchers / sessionCount + (g < watchers % sessionCount ? 1 : 0);
      out.add(new ZooKeeperReceiver(base, n, warmupPuts, parent, sentAt, notifiedZxid));
      base += n;
    }
    groups = out;
    for (ZooKeeperReceiver group : out) {
      ZooKeeper zk = connect(event -> group.onState(event, closing));
      for (int w = 0; w < group.count; w++) {
        zk.addWatch(
            parent,
            new Watch(group, w),
            AddWatchMode.PERSISTENT_RECURSIVE,
            (rc, path, ctx) -> {
              if (rc == KeeperException.Code.OK.intValue()) {
                group.created.incrementAndGet();
              } else {
                group.error("addWatch " + path + ": " + KeeperException.Code.get(rc));
              }
            },
            null);
      }
    }
    return out;
  }

  @Override
  public void put(int i, long intended, String value, PutDone done) {
    sentAt.set(i, intended);
    writer.setData(
        child(parent, i),
        value.getBytes(StandardCharsets.US_ASCII),
        -1,
        (rc, path, ctx, stat) -> {
          if (rc == KeeperException.Code.OK.intValue()) {
            ackedZxid.set(i, stat.getMzxid());
            done.done(i + 1, null);
          } else {
            done.done(-1, "setData " + path + ": " + KeeperException.Code.get(rc));
          }
        },
        null);
  }

  /** Closes the sessions in parallel: each close waits for the server to log it. */
  @Override
  public void close() {
    closing = true;
    List<ZooKeeper> all;
    synchronized (sessions) {
      all = new ArrayList<>(sessions);
      sessions.clear();
    }
    ZooKeeperTarget.closeAll(all);
  }

  /** One watcher: a distinct object, so the client keeps each one registered. */
  private static final class Watch implements Watcher {
    final ZooKeeperReceiver group;
    final int id;

    Watch(ZooKeeperReceiver group, int id) {
      this.group = group;
      this.id = id;
    }

    @Override
    public void process(WatchedEvent event) {
      group.onEvent(id, event, System.nanoTime());
    }
  }
}
