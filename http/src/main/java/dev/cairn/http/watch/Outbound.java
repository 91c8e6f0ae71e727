package dev.cairn.http.watch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * A connection's way to its socket: a bounded queue, and the messages held back while it is full.
 * Confined to the connection's actor.
 *
 * <p><b>Back-pressure.</b> When the socket queue is full, control messages (errors, {@code
 * canceled}, session replies) wait in their own queue and go first; each watch holds its own
 * messages back, in order, up to {@link WatchSettings#maxPendingPerWatch()}, and the connection all
 * of them up to {@link WatchSettings#maxHeldBytesPerConnection()} bytes; one more and the watch is
 * cancelled as a slow consumer (the client resumes from its last revision), so a client that stops
 * reading costs bounded memory. A coalesced connection's messages may belong to several watches, so
 * it holds them in one connection-wide FIFO instead; when that exceeds its count or byte budget,
 * every watch with a message in it is cancelled and the FIFO is dropped.
 *
 * <p>A watch's {@link Watch#lastRevision} moves only when a message that completes a revision is
 * handed to the socket, so a cancel reports exactly what the client got.
 */
final class Outbound<T> {
  /** What the connection does for its outbound side. */
  interface Owner<T> {
    /** Cancels {@code w} with reason slow_consumer (it calls {@link #canceled}). */
    void slowConsumer(Watch<T> w);

    /** The socket is gone or not even control messages drain: the connection must stop. */
    void close();

    /** Calls {@link #flush} after the flush interval. */
    void scheduleFlush();
  }

  /**
   * A message in a coalesced connection's FIFO: it completes {@code revision} for each of {@code
   * members}. {@code cancel} is set on the {@code canceled} message of a watch that was cancelled
   * while messages of it were still held (it must not overtake them).
   */
  private record Queued<T>(
      T message, long revision, List<Watch<T>> members, long size, Cancel<T> cancel) {}

  private record Cancel<T>(Watch<T> watch, String reason, long compactRevision) {}

  private final BoundedSourceQueue<T> out;
  private final Encoder<T> encoder;
  private final WatchSettings settings;
  private final boolean coalesce;
  private final WatchRegistry<T> watches;
  private final Owner<T> owner;

  /** A held-back control message, and what to run once the socket has it (or null). */
  private record Control<T>(T message, Runnable sent) {}

  private final ArrayDeque<Control<T>> control = new ArrayDeque<>();

  /** Coalesced connections only: every held-back watch message, in order. */
  private final ArrayDeque<Queued<T>> fifo = new ArrayDeque<>();

  /**
   * Bytes of watch messages held back on this connection (control messages not included): in the
   * watches' pending queues, or in the FIFO of a coalesced connection.
   */
  private long heldBytes;

  private boolean flushScheduled;

  Outbound(
      BoundedSourceQueue<T> out,
      Encoder<T> encoder,
      WatchSettings settings,
      boolean coalesce,
      WatchRegistry<T> watches,
      Owner<T> owner) {
    this.out = out;
    this.encoder = encoder;
    this.settings = settings;
    this.coalesce = coalesce;
    this.watches = watches;
    this.owner = owner;
  }

  /** Bytes of watch messages held back on the connection. */
  long heldBytes() {
    return heldBytes;
  }

  /** Messages held back that {@code w} waits for (on a coalesced connection: the whole FIFO). */
  int heldCount(Watch<T> w) {
    return coalesce ? fifo.size() : w.pending.size();
  }

  /**
   * Sends or holds back {@code message}, which completes the watch's {@code revision} (or 0); a
   * null message has nothing to send and only completes the revision.
   */
  void enqueue(Watch<T> w, T message, long revision) {
    if (coalesce) {
      enqueueShared(message, revision, List.of(w), null);
      return;
    }
    if (message == null) {
      if (w.pending.isEmpty()) {
        w.lastRevision = Math.max(w.lastRevision, revision);
      } else {
        hold(w, null, revision);
      }
      return;
    }
    if (!w.pending.isEmpty() || !control.isEmpty()) {
      hold(w, message, revision);
      return;
    }
    QueueOfferResult r = out.offer(message);
    if (r == QueueOfferResult.enqueued()) {
      w.lastRevision = Math.max(w.lastRevision, revision);
    } else if (r == QueueOfferResult.dropped()) {
      hold(w, message, revision);
    } else {
      owner.close();
    }
  }

  private void hold(Watch<T> w, T message, long revision) {
    long size = sizeOf(message);
    if (w.pending.size() >= settings.maxPendingPerWatch()
        || heldBytes + size > settings.maxHeldBytesPerConnection()) {
      // Bounded memory: the watch that cannot be held any more is cancelled, freeing its share.
      owner.slowConsumer(w);
      return;
    }
    w.pending.add(new Watch.Held<>(message, revision));
    w.pendingBytes += size;
    heldBytes += size;
    scheduleFlush();
  }

  /**
   * Sends or holds back {@code message}, which completes {@code revision} for each of {@code
   * members} (a coalesced connection's message for several watches).
   */
  void enqueueShared(T message, long revision, List<Watch<T>> members) {
    enqueueShared(message, revision, members, null);
  }

  private void enqueueShared(T message, long revision, List<Watch<T>> members, Cancel<T> cancel) {
    if (fifo.isEmpty()) {
      if (message == null) {
        complete(members, revision);
        return;
      }
      if (control.isEmpty()) {
        QueueOfferResult r = out.offer(message);
        if (r == QueueOfferResult.enqueued()) {
          complete(members, revision);
          return;
        }
        if (r != QueueOfferResult.dropped()) {
          owner.close();
          return;
        }
      }
    }
    holdShared(new Queued<>(message, revision, members, sizeOf(message), cancel));
  }

  private void holdShared(Queued<T> q) {
    if (fifo.size() >= settings.maxPendingPerWatch()
        || heldBytes + q.size() > settings.maxHeldBytesPerConnection()) {
      dropHeld(q);
      return;
    }
    fifo.add(q);
    heldBytes += q.size();
    for (Watch<T> m : q.members()) {
      m.held++;
      m.heldRevision = Math.max(m.heldRevision, q.revision());
    }
    scheduleFlush();
  }

  /**
   * The FIFO is full: drops it, with {@code overflow}, and cancels every watch that had a message
   * in it with slow_consumer. Their last_revision is what was handed to the socket, so a client
   * that resumes from last_revision + 1 misses nothing and gets nothing twice.
   */
  private void dropHeld(Queued<T> overflow) {
    List<Queued<T>> dropped = new ArrayList<>(fifo.size() + 1);
    dropped.addAll(fifo);
    dropped.add(overflow);
    fifo.clear();
    heldBytes = 0;
    for (Queued<T> q : dropped) {
      for (Watch<T> m : q.members()) {
        m.held = 0;
        m.heldRevision = 0;
      }
    }
    for (Queued<T> q : dropped) {
      if (q.cancel() != null) {
        // Already cancelled (e.g. by the client), its canceled message was in the FIFO: tell it
        // again, with what the socket really got.
        Cancel<T> c = q.cancel();
        sendControl(
            encoder.canceled(
                c.watch().id, c.reason(), c.compactRevision(), c.watch().lastRevision));
      }
      for (Watch<T> m : q.members()) {
        if (m.active) {
          owner.slowConsumer(m);
        }
      }
    }
  }

  /**
   * {@code w} was cancelled: drops what it holds back and sends its {@code canceled}, reporting the
   * last revision the socket got. On a coalesced connection, messages naming the watch that are
   * still held cannot be taken back (they are other watches' too): {@code canceled} then goes after
   * them, so no event of the watch follows it, and reports the last revision they complete.
   */
  void canceled(Watch<T> w, String reason, long compactRevision) {
    heldBytes -= w.pendingBytes;
    w.pendingBytes = 0;
    w.pending.clear();
    if (w.held > 0) {
      long last = Math.max(w.lastRevision, w.heldRevision);
      T message = encoder.canceled(w.id, reason, compactRevision, last);
      holdShared(
          new Queued<>(
              message, 0, List.of(), sizeOf(message), new Cancel<>(w, reason, compactRevision)));
    } else {
      sendControl(encoder.canceled(w.id, reason, compactRevision, w.lastRevision));
    }
  }

  private static <T> void complete(List<Watch<T>> members, long revision) {
    for (Watch<T> m : members) {
      m.lastRevision = Math.max(m.lastRevision, revision);
    }
  }

  private long sizeOf(T message) {
    return message == null ? 0 : encoder.sizeOf(message);
  }

  /** Sends a message that belongs to no watch (it goes before held-back watch messages). */
  void sendControl(T message) {
    sendControl(message, null);
  }

  /**
   * Sends a control message and runs {@code sent} once it is handed to the socket (at once, or when
   * a flush drains it); a connection that closes first never runs it.
   */
  void sendControl(T message, Runnable sent) {
    if (message == null) {
      return;
    }
    if (control.isEmpty()) {
      QueueOfferResult r = out.offer(message);
      if (r == QueueOfferResult.enqueued()) {
        if (sent != null) {
          sent.run();
        }
        return;
      }
      if (r != QueueOfferResult.dropped()) {
        owner.close();
        return;
      }
    }
    if (control.size() >= settings.maxPendingPerWatch()) {
      // Not even control messages drain: the client is gone in all but name.
      owner.close();
      return;
    }
    control.add(new Control<>(message, sent));
    scheduleFlush();
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      owner.scheduleFlush();
    }
  }

  /**
   * Drains held-back messages: control first, then the watches round-robin (a coalesced
   * connection's FIFO in order).
   */
  void flush() {
    flushScheduled = false;
    while (!control.isEmpty()) {
      if (!offer(control.peek().message())) {
        scheduleFlush();
        return;
      }
      Runnable sent = control.poll().sent();
      if (sent != null) {
        sent.run();
      }
    }
    while (!fifo.isEmpty()) {
      Queued<T> q = fifo.peek();
      if (q.message() != null && !offer(q.message())) {
        scheduleFlush();
        return;
      }
      fifo.poll();
      heldBytes -= q.size();
      for (Watch<T> m : q.members()) {
        m.held--;
        m.lastRevision = Math.max(m.lastRevision, q.revision());
      }
    }
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Watch<T> w : watches.all()) {
        if (w.pending.isEmpty()) {
          continue;
        }
        T next = w.pending.peek().message();
        if (next != null && !offer(next)) {
          scheduleFlush();
          return;
        }
        Watch.Held<T> sent = w.pending.poll();
        long size = sizeOf(sent.message());
        w.pendingBytes -= size;
        heldBytes -= size;
        w.lastRevision = Math.max(w.lastRevision, sent.revision());
        progress = true;
      }
    }
  }

  private boolean offer(T message) {
    QueueOfferResult r = out.offer(message);
    if (r == QueueOfferResult.enqueued()) {
      return true;
    }
    if (r != QueueOfferResult.dropped()) {
      owner.close();
    }
    return false;
  }

  /**
   * The server is going away: offers {@code message} as the stream's last, unless messages held
   * back would have to go first (then the client resumes from what it got, without it).
   */
  void offerLast(T message) {
    if (message != null && control.isEmpty() && fifo.isEmpty()) {
      out.offer(message);
    }
  }

  /** Ends the socket's stream (the connection stopped). */
  void complete() {
    try {
      out.complete();
    } catch (IllegalStateException e) {
      // Already completed: the client went away first (e.g. an SSE stream it dropped).
    }
  }
}
