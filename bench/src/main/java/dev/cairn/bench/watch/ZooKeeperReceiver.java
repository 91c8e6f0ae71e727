package dev.cairn.bench.watch;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * What the watchers of one ZooKeeper session received: notifications matched to their puts by path,
 * zxid mismatches, disconnections. The client calls the watchers one after the other on the
 * session's event thread with the same {@link WatchedEvent} object, so the path is parsed once per
 * notification.
 */
final class ZooKeeperReceiver extends WatchTally {
  final String parent;
  final AtomicLongArray sentAt;
  final AtomicLongArray notifiedZxid;
  final AtomicLong disconnects = new AtomicLong();
  long zxidMismatch;
  private WatchedEvent last;
  private int lastSeq;

  ZooKeeperReceiver(
      int base,
      int count,
      long warmupPuts,
      String parent,
      AtomicLongArray sentAt,
      AtomicLongArray notifiedZxid) {
    super(base, count, 0, warmupPuts);
    this.parent = parent;
    this.sentAt = sentAt;
    this.notifiedZxid = notifiedZxid;
  }

  /** Watcher {@code id} got {@code e} at {@code now}. */
  void onEvent(int id, WatchedEvent e, long now) {
    if (e.getType() == Watcher.Event.EventType.None) {
      return; // connection state, seen by the session's own watcher
    }
    synchronized (this) {
      if (e != last) {
        last = e;
        lastSeq =
            e.getType() == Watcher.Event.EventType.NodeDataChanged
                ? ZooKeeperWatch.seqOf(e.getPath(), parent, sentAt.length())
                : -1;
        long zxid = e.getZxid();
        if (lastSeq >= 0 && zxid > 0) {
          if (!notifiedZxid.compareAndSet(lastSeq, 0, zxid) && notifiedZxid.get(lastSeq) != zxid) {
            zxidMismatch++;
          }
        }
      }
      if (lastSeq < 0) {
        malformed++;
        return;
      }
      deliver(id, lastSeq, sentAt.get(lastSeq), lastSeq + 1L, now);
    }
  }

  /** The session's own watcher: counts disconnections (events meanwhile are lost). */
  void onState(WatchedEvent e, boolean closing) {
    Watcher.Event.KeeperState s = e.getState();
    if (closing || s == Watcher.Event.KeeperState.SyncConnected) {
      return;
    }
    disconnects.incrementAndGet();
    closed = true;
    error("session " + s);
  }
}
