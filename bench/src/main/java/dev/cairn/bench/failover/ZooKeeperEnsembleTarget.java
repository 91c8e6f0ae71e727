package dev.cairn.bench.failover;

import dev.cairn.bench.peers.ZooKeeperSessions;
import dev.cairn.bench.peers.ZooKeeperTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

/**
 * A ZooKeeper ensemble through its Java client: each benchmark client has its own session whose
 * connect string lists every server (the library picks one, and moves to another by itself when its
 * server goes away or stops serving; the session survives while it reconnects within the session
 * timeout). A write is {@code setData(path, value, -1)} on the client's own znode. Who leads comes
 * from the {@code srvr} four-letter word on each server's client port ({@code Mode: leader}); it
 * must be allowed by {@code 4lw.commands.whitelist}.
 */
public final class ZooKeeperEnsembleTarget implements FailoverTarget {

  private final List<Member> members;
  private final String connect;
  private final Duration sessionTimeout;
  private final String parent;
  private final byte[] value;
  private final List<ZooKeeper> sessions = new ArrayList<>();

  /**
   * @param parent client i writes znode {@code parent + "/c" + i}
   * @param valueSize bytes of each value
   */
  public ZooKeeperEnsembleTarget(
      List<Member> members, Duration sessionTimeout, String parent, int valueSize) {
    this.members = List.copyOf(members);
    this.connect = members.stream().map(Member::endpoint).collect(Collectors.joining(","));
    this.sessionTimeout = sessionTimeout;
    this.parent = parent;
    this.value = new byte[valueSize];
  }

  @Override
  public String name() {
    return "zookeeper";
  }

  @Override
  public List<Member> members() {
    return members;
  }

  @Override
  public void prepare(int clients) throws Exception {
    ZooKeeper zk = ZooKeeperSessions.open(connect, sessionTimeout, event -> {});
    try {
      for (int i = 0; i < clients; i++) {
        ZooKeeperSessions.createPath(zk, parent + "/c" + i, true);
      }
    } finally {
      zk.close(2_000);
    }
  }

  @Override
  public WriteClient client(int index) throws Exception {
    ZooKeeper zk = ZooKeeperSessions.open(connect, sessionTimeout, event -> {});
    synchronized (sessions) {
      sessions.add(zk);
    }
    String path = parent + "/c" + index;
    return new WriteClient() {
      @Override
      public CompletableFuture<String> write(long seq, Duration timeout) {
        CompletableFuture<String> done = new CompletableFuture<>();
        zk.setData(
            path,
            value,
            -1,
            (rc, p, ctx, stat) -> {
              if (rc == KeeperException.Code.OK.intValue()) {
                done.complete("");
              } else {
                done.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc)));
              }
            },
            null);
        return done.orTimeout(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
      }

      @Override
      public void moveOn() {
        // the library moves to another server by itself
      }

      @Override
      public void close() {}
    };
  }

  /**
   * The {@code Mode:} of a {@code srvr} answer ({@code leader}, {@code follower}, ...), or null.
   */
  static String mode(String srvr) {
    for (String line : srvr.split("\n")) {
      if (line.startsWith("Mode:")) {
        return line.substring("Mode:".length()).trim();
      }
    }
    return null;
  }

  /** Server {@code m}'s mode, or null when it does not answer or is not serving. */
  private static String mode(Member m) {
    int colon = m.endpoint().lastIndexOf(':');
    String host = m.endpoint().substring(0, colon);
    int port = Integer.parseInt(m.endpoint().substring(colon + 1));
    int timeout = (int) PROBE_TIMEOUT.toMillis();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), timeout);
      s.setSoTimeout(timeout);
      OutputStream out = s.getOutputStream();
      out.write("srvr".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return mode(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public int leader(int skip) {
    int leader = -1;
    for (Member m : members) {
      if (m.index() != skip && "leader".equals(mode(m))) {
        if (leader >= 0) {
          return -1;
        }
        leader = m.index();
      }
    }
    return leader;
  }

  @Override
  public boolean healthy() {
    int leaders = 0;
    for (Member m : members) {
      String mode = mode(m);
      if ("leader".equals(mode)) {
        leaders++;
      } else if (!"follower".equals(mode)) {
        return false;
      }
    }
    return leaders == 1;
  }

  @Override
  public Map<String, Object> clientSettings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("client", "zookeeper " + org.apache.zookeeper.Version.getFullVersion().split("[ ,-]")[0]);
    m.put("session_timeout_ms", sessionTimeout.toMillis());
    m.put("write", "async setData on one session per client; the library picks the server");
    return m;
  }

  @Override
  public void close() {
    synchronized (sessions) {
      ZooKeeperTarget.closeAll(sessions);
      sessions.clear();
    }
  }
}
