package dev.cairn.bench.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.cli.ZooKeeperOptions;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.junit.jupiter.api.Test;

/** How {@link ZooKeeperWatch} matches notifications to puts. */
class ZooKeeperWatchTest {
  private static final String PARENT = "/bench/watch/ab12";

  private static WatchedEvent changed(int seq, long zxid) {
    return new WatchedEvent(
        EventType.NodeDataChanged,
        KeeperState.SyncConnected,
        ZooKeeperWatch.child(PARENT, seq),
        zxid);
  }

  @Test
  void namesZnodesAfterThePrefixAndThePut() {
    assertThat(ZooKeeperWatch.parentOf("bench/watch/ab12/")).isEqualTo(PARENT);
    assertThat(ZooKeeperWatch.child(PARENT, 42)).isEqualTo(PARENT + "/00000042");
    assertThat(ZooKeeperOptions.port("127.0.0.1:2182")).isEqualTo(2182);
    assertThat(ZooKeeperOptions.port("a:2183,b:2184/chroot")).isEqualTo(2183);
    assertThat(ZooKeeperOptions.port("localhost")).isEqualTo(2181);
  }

  @Test
  void aNotificationPathNamesItsPut() {
    assertThat(ZooKeeperWatch.seqOf(PARENT + "/00000042", PARENT, 100)).isEqualTo(42);
    assertThat(ZooKeeperWatch.seqOf(PARENT + "/00000100", PARENT, 100)).as("beyond").isEqualTo(-1);
    assertThat(ZooKeeperWatch.seqOf(PARENT, PARENT, 100)).as("the parent").isEqualTo(-1);
    assertThat(ZooKeeperWatch.seqOf("/bench/watch/ab13/00000042", PARENT, 100)).isEqualTo(-1);
    assertThat(ZooKeeperWatch.seqOf(PARENT + "x00000042", PARENT, 100)).isEqualTo(-1);
    assertThat(ZooKeeperWatch.seqOf(PARENT + "/0000004x", PARENT, 100)).isEqualTo(-1);
    assertThat(ZooKeeperWatch.seqOf(null, PARENT, 100)).isEqualTo(-1);
  }

  @Test
  void everyWatcherOfTheSessionCountsTheNotification() {
    AtomicLongArray sentAt = new AtomicLongArray(10);
    AtomicLongArray zxids = new AtomicLongArray(10);
    ZooKeeperReceiver g = new ZooKeeperReceiver(0, 3, 1, PARENT, sentAt, zxids);
    long t = 1_000_000_000L;
    sentAt.set(0, t);
    sentAt.set(1, t);
    WatchedEvent first = changed(0, 0x100000005L);
    WatchedEvent second = changed(1, 0x100000006L);
    for (int w = 0; w < 3; w++) {
      g.onEvent(w, first, t + 1_000_000);
    }
    for (int w = 0; w < 2; w++) {
      g.onEvent(w, second, t + 3_000_000);
    }

    assertThat(g.received.get()).isEqualTo(5);
    assertThat(g.got[0].stream()).containsExactly(0, 1);
    assertThat(g.got[2].stream()).containsExactly(0);
    assertThat(g.lastRevision[1]).as("put i counts as revision i + 1").isEqualTo(2);
    assertThat(g.latency.getTotalCount()).as("put 0 is warmup").isEqualTo(2);
    assertThat(g.latency.getMaxValue()).isBetween(2_990L, 3_010L);
    assertThat(zxids.get(0)).isEqualTo(0x100000005L);
    assertThat(g.malformed).isZero();

    // State changes reach every watcher too; they are not events.
    g.onEvent(0, new WatchedEvent(EventType.None, KeeperState.Disconnected, null), t);
    assertThat(g.received.get()).isEqualTo(5);
    assertThat(g.malformed).isZero();

    // The same put again (another notification object): a duplicate, not after the last one,
    // and with another zxid: a mismatch.
    g.onEvent(2, changed(0, 0x100000009L), t);
    assertThat(g.duplicates).isEqualTo(1);
    assertThat(g.outOfOrder).isEqualTo(1);
    assertThat(g.zxidMismatch).isEqualTo(1);

    // Anything but a data change of one of the run's children is malformed.
    g.onEvent(
        0,
        new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, PARENT + "/00000003", 7),
        t);
    g.onEvent(1, changed(11, 8), t);
    assertThat(g.malformed).isEqualTo(2);
  }

  @Test
  void disconnectionsAreCountedUnlessClosing() {
    ZooKeeperReceiver g =
        new ZooKeeperReceiver(0, 1, 0, PARENT, new AtomicLongArray(1), new AtomicLongArray(1));
    g.onState(new WatchedEvent(EventType.None, KeeperState.SyncConnected, null), false);
    g.onState(new WatchedEvent(EventType.None, KeeperState.Closed, null), true);
    assertThat(g.closedCount()).isZero();
    g.onState(new WatchedEvent(EventType.None, KeeperState.Disconnected, null), false);
    assertThat(g.closedCount()).isEqualTo(1);
    assertThat(g.errors.get()).isEqualTo(1);
  }
}
