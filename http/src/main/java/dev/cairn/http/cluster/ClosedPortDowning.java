package dev.cairn.http.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Downs a member whose process is gone, without waiting for the failure detector: every {@code
 * every} it connects to each other Up member's cluster port, and a member whose port refuses the
 * connection twice in a row is downed and its incarnation quarantined at once, so that the
 * cluster's leader removes it and its shards and singletons start elsewhere without waiting for
 * heartbeats to time out.
 *
 * <p>A refused connection means nothing listens on that port any more: the member's process has
 * exited (killed, crashed), or its host answers for an address whose process is gone. A hung
 * process, a paused JVM or a lost network never refuse (the kernel still accepts for a stopped
 * process; a partition drops packets): those are left to the failure detector and the Split Brain
 * Resolver, as before. This is what makes a killed ZooKeeper leader's successor quick: its
 * followers see its sockets close. Downing a live member by mistake (only possible if something
 * answers its port with resets, e.g. a firewall rule) costs that node a restart and its leaders a
 * move, never data: the journal fences a deposed leader's appends.
 */
public final class ClosedPortDowning {
  private static final Logger log = LoggerFactory.getLogger(ClosedPortDowning.class);

  private final Cluster cluster;
  private final RemoteActorRefProvider provider;
  private final int connectTimeoutMs;

  private ClosedPortDowning(ActorSystem system, Duration connectTimeout) {
    this.cluster = Cluster.get(system);
    this.provider = (RemoteActorRefProvider) ((ExtendedActorSystem) system).provider();
    this.connectTimeoutMs = Math.toIntExact(connectTimeout.toMillis());
  }

  /**
   * Probes every {@link ClusterSettings.ClosedPorts#every()} on a daemon thread of its own
   * (connects block), stopped with the actor system.
   */
  public static void start(ActorSystem system, ClusterSettings.ClosedPorts settings) {
    Duration every = settings.every();
    ClosedPortDowning d = new ClosedPortDowning(system, settings.connectTimeout());
    ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cairn-closed-port-downing");
              t.setDaemon(true);
              return t;
            });
    thread.scheduleWithFixedDelay(
        d::probeAll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    system.registerOnTermination(thread::shutdownNow);
  }

  private void probeAll() {
    try {
      if (!cluster.selfMember().status().equals(MemberStatus.up())) {
        return;
      }
      List<Member> others = new ArrayList<>();
      cluster
          .state()
          .getMembers()
          .forEach(
              m -> {
                if (!m.equals(cluster.selfMember())
                    && (m.status().equals(MemberStatus.up())
                        || m.status().equals(MemberStatus.weaklyUp()))) {
                  others.add(m);
                }
              });
      for (Member m : others) {
        if (refuses(m.address(), connectTimeoutMs)
            && refuses(m.address(), connectTimeoutMs)
            && stillMember(m)) {
          log.warn(
              "member {} refuses connections on its cluster port: its process is gone. Downing it"
                  + " now rather than after the failure detector's timeout.",
              m.address());
          cluster.down(m.address());
          // Down alone waits for the failure detector: the leader removes a downed member (and its
          // shards and singletons move) only once it is unreachable. A quarantined incarnation
          // counts
          // as unreachable at once, and a dead process will never talk to this node again anyway.
          provider.quarantine(
              m.address(),
              Option.apply((Object) m.uniqueAddress().longUid()),
              "its cluster port refuses connections: the process is gone");
        }
      }
    } catch (RuntimeException e) {
      log.warn("probing the members' cluster ports failed; will try again", e);
    }
  }

  /** Whether {@code m} (this incarnation) is still an Up member. */
  private boolean stillMember(Member m) {
    for (Member now : cluster.state().getMembers()) {
      if (now.uniqueAddress().equals(m.uniqueAddress())) {
        return now.status().equals(MemberStatus.up())
            || now.status().equals(MemberStatus.weaklyUp());
      }
    }
    return false;
  }

  /** True only when the connection is actively refused; a timeout or any other error is not. */
  static boolean refuses(Address a, int connectTimeoutMs) {
    if (a.host().isEmpty() || a.port().isEmpty()) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(a.host().get(), (Integer) a.port().get()), connectTimeoutMs);
      return false;
    } catch (ConnectException e) {
      return e.getMessage() != null && e.getMessage().contains("refused");
    } catch (IOException e) {
      return false;
    }
  }
}
