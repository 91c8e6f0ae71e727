package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write-ahead log shared by all persistence ids, with group commit: the storage engine behind
 * {@link ForcedLogJournal}. It knows nothing of Pekko; events are opaque bytes.
 *
 * <p><b>Durability.</b> A write's future completes only after its record has been written and
 * {@link FileChannel#force forced} (fsync on), so a completed write survives kill -9 and power
 * loss. With {@code fsync = off} the force is skipped and a completed write can be lost by a power
 * failure.
 *
 * <p><b>Concurrency and group commit.</b> Any thread may call {@link #append}, {@link #deleteTo}
 * and {@link #highestSequenceNr}; each call is queued to one writer thread, which drains everything
 * queued, writes it, forces once and then completes every future of the group. Futures complete on
 * the writer thread, so dependent stages must be cheap (or use the {@code *Async} variants). {@link
 * #replay} runs on the caller's thread, concurrently with writes, and sees exactly the writes whose
 * futures have completed.
 *
 * <p><b>Ordering and fencing.</b> Operations take effect in the order they were submitted. An
 * append of a persistence id must continue it exactly: its first sequence number must be the
 * highest stored (or queued before it) plus one. An append at a taken sequence number is refused,
 * never stored over the existing event: a second writer of one id (a stale leader) cannot replace
 * or interleave with the first's events. An append that would leave a gap is refused too. A refused
 * append fails alone with {@link FencedAppendException} and writes nothing; the other appends of
 * its group proceed. {@link #highestSequenceNr} is answered after every operation submitted before
 * it, so it never misses an in-flight write. The highest sequence number never decreases, deletes
 * included.
 *
 * <p><b>Atomicity.</b> One {@link Write} is one record guarded by a CRC; after a crash it is
 * replayed whole or not at all.
 *
 * <p><b>Recovery.</b> {@link #open} takes an exclusive lock on the directory, scans all segments
 * and rebuilds the index. A torn record at the very end of the last segment (a crash mid-write,
 * never acknowledged) is truncated with a WARN; zeros after the last record (the writer extends the
 * active segment 4 MiB ahead of its records, so that a forced write need not make a new file length
 * durable; a clean close or a roll trims it) end the log silently; any other damage fails {@code
 * open} with {@link JournalCorruptedException} naming file and offset.
 *
 * <p><b>Failure.</b> If a write or force fails, that group fails, and nothing of it stays on disk:
 * its bytes are truncated away before its futures fail. The log then fails every write at once with
 * {@link JournalUnwritableException} and says why in {@link #condition()}: {@code NO_SPACE} when
 * the disk is full, {@code FAILED} otherwise. It resumes by itself: every {@code retry-interval} it
 * checks again and, out of space, waits until {@code resume-free-space} bytes are free; then it
 * recovers the directory from scratch into new segments and a new index and closes the old ones,
 * because after a failed write or fsync the in-memory state no longer tells what is on disk. A
 * replay running meanwhile goes on with the new files. Each change of condition is logged once.
 *
 * <p><b>Space.</b> After each segment roll, the oldest segments whose events are all deleted or
 * superseded are removed; counters only they carried are first written again, so highest sequence
 * numbers survive. The index keeps about 40 bytes of heap per live atomic write.
 *
 * <p><b>Parts.</b> This class is the API, the directory lock and replay; {@link LogRecovery} scans
 * the segments and handles a torn tail, {@link GroupWriter} is the writer thread with group commit
 * and fencing, {@link SegmentReclaimer} removes dead segments, and {@link LogIndex} is the
 * in-memory index they share through {@link LogFiles}.
 */
public final class ForcedLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ForcedLog.class);

  /** One event to store: its sequence number and its serialized form. */
  public record Event(long sequenceNr, byte[] bytes) {}

  /** One atomic write: events of one persistence id, ascending, stored all or nothing. */
  public record Write(String persistenceId, List<Event> events) {}

  /**
   * A {@link Write} already framed as a log record, so encoding errors surface before anything is
   * queued.
   */
  public record EncodedWrite(
      String persistenceId, long firstSeqNr, long lastSeqNr, int eventCount, byte[] frame) {}

  /** Receives replayed events in ascending sequence-number order. */
  @FunctionalInterface
  public interface ReplayConsumer {
    void accept(long sequenceNr, byte[] bytes) throws Exception;
  }

  /**
   * Counters since open: forces (fsync calls), groups written, atomic writes, events, bytes
   * appended, and old segments reclaimed.
   */
  public record Stats(
      long forces, long groups, long writes, long events, long bytes, long segmentsReclaimed) {}

  /** How a segment is forced; replaceable so tests can hold the writer inside a force. */
  @FunctionalInterface
  interface Forcer {
    void force(FileChannel channel) throws IOException;
  }

  private final JournalSettings settings;
  private final DirectoryLock lock;
  private final LinkedBlockingQueue<GroupWriter.Op> queue = new LinkedBlockingQueue<>();
  private final GroupWriter groupWriter;
  private final Thread writer;
  private boolean closed; // guarded by queue

  /** Opens (creating if needed) the log in {@code settings.dir()}, recovering its contents. */
  public static ForcedLog open(JournalSettings settings) throws IOException {
    return open(settings, ch -> ch.force(false));
  }

  static ForcedLog open(JournalSettings settings, Forcer forcer) throws IOException {
    Files.createDirectories(settings.dir());
    DirectoryLock lock = DirectoryLock.acquire(settings.dir());
    try {
      return new ForcedLog(settings, forcer, lock);
    } catch (IOException | RuntimeException | Error e) {
      lock.close();
      throw e;
    }
  }

  private ForcedLog(JournalSettings settings, Forcer forcer, DirectoryLock lock)
      throws IOException {
    this.settings = settings;
    this.lock = lock;
    if (!settings.fsync()) {
      log.warn(
          "journal {} at {}: fsync = off; acknowledged writes are NOT durable across power loss. "
              + "Use this setting for tests only.",
          settings.name(),
          settings.dir().toAbsolutePath());
    }
    long started = System.nanoTime();
    LogFiles files = LogRecovery.recover(settings.dir());
    log.info(
        "journal {} opened at {}: {} segment(s), {} persistence id(s), recovered in {} ms, fsync = {}",
        settings.name(),
        settings.dir().toAbsolutePath(),
        files.segments().size(),
        files.index().persistenceIdCount(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        settings.fsync() ? "on" : "off");
    this.groupWriter = new GroupWriter(settings, forcer, queue, files);
    this.writer = new Thread(groupWriter, "cairn-journal-writer-" + settings.name());
    writer.setDaemon(true);
    writer.start();
  }

  public JournalSettings settings() {
    return settings;
  }

  /** Frames a write as a log record; throws IllegalArgumentException if it cannot be stored. */
  public static EncodedWrite encode(Write write) {
    List<Event> evs = write.events();
    if (evs.isEmpty()) {
      throw new IllegalArgumentException(
          "atomic write without events for " + write.persistenceId());
    }
    for (int i = 1; i < evs.size(); i++) {
      if (evs.get(i).sequenceNr() != evs.get(i - 1).sequenceNr() + 1) {
        throw new IllegalArgumentException(
            "sequence numbers must be consecutive within an atomic write");
      }
    }
    byte[] frame = LogFormat.encodeEvents(write.persistenceId(), evs);
    return new EncodedWrite(
        write.persistenceId(),
        evs.get(0).sequenceNr(),
        evs.get(evs.size() - 1).sequenceNr(),
        evs.size(),
        frame);
  }

  /** Appends the writes in order; completes once all of them are durable. */
  public CompletableFuture<Void> append(List<EncodedWrite> batch) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (batch.isEmpty()) {
      done.complete(null);
      return done;
    }
    submit(appendOp(batch, done), done);
    return done;
  }

  private static GroupWriter.AppendOp appendOp(
      List<EncodedWrite> batch, CompletableFuture<Void> done) {
    long size = 0;
    for (EncodedWrite w : batch) {
      size += w.frame().length;
    }
    return new GroupWriter.AppendOp(List.copyOf(batch), size, done);
  }

  /**
   * Appends each of {@code batches} as {@link #append} would, in order, one future each; but when
   * the writer is idle (nothing queued or being written) the calling thread writes and forces them
   * itself, as one group, and they are complete on return. That spares a single write the writer
   * thread's wake-up, which on an idle machine costs about as much as the force. The calling thread
   * blocks for the force; under load the writer is rarely idle and the batches queue as usual.
   */
  public List<CompletableFuture<Void>> appendHere(List<List<EncodedWrite>> batches) {
    List<GroupWriter.Op> ops = new ArrayList<>(batches.size());
    List<CompletableFuture<Void>> dones = new ArrayList<>(batches.size());
    for (List<EncodedWrite> batch : batches) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      dones.add(done);
      if (batch.isEmpty()) {
        done.complete(null);
        continue;
      }
      ops.add(appendOp(batch, done));
    }
    // Closed, the log has its close counted as outstanding or its writer stopped: runHere refuses,
    // and submit fails each op as closed.
    if (!ops.isEmpty() && !groupWriter.runHere(ops)) {
      for (GroupWriter.Op op : ops) {
        submit(op, ((GroupWriter.AppendOp) op).done());
      }
    }
    return dones;
  }

  /** Whether a write now would find the writer idle (see {@link #appendHere}). Any thread. */
  public boolean idle() {
    return groupWriter.idle();
  }

  /**
   * Durably marks events of {@code persistenceId} up to {@code toSeqNr} (capped at the highest
   * stored) as deleted.
   */
  public CompletableFuture<Void> deleteTo(String persistenceId, long toSeqNr) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new GroupWriter.DeleteOp(persistenceId, toSeqNr, done), done);
    return done;
  }

  /**
   * The highest sequence number ever stored for the id (0 if none), after all previously submitted
   * writes.
   */
  public CompletableFuture<Long> highestSequenceNr(String persistenceId) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    submit(new GroupWriter.HighestOp(persistenceId, done), done);
    return done;
  }

  /**
   * Replays stored, not deleted events of {@code persistenceId} with sequence numbers in {@code
   * [from, to]}, at most {@code max} of them, on the calling thread.
   */
  public void replay(String persistenceId, long from, long to, long max, ReplayConsumer consumer)
      throws Exception {
    if (max <= 0 || from > to) {
      return;
    }
    long[] next = {from};
    long[] left = {max};
    while (!replayFrom(groupWriter.files(), persistenceId, next, to, left, consumer)) {
      // the log re-read its files after a failure; go on with the new ones
    }
  }

  /**
   * Replays from {@code next[0]} with {@code files}, advancing {@code next} and {@code left}; false
   * if those files were replaced meanwhile (recovery after a failed write) and replay must go on.
   */
  private boolean replayFrom(
      LogFiles files,
      String persistenceId,
      long[] next,
      long to,
      long[] left,
      ReplayConsumer consumer)
      throws Exception {
    long from = next[0];
    LogIndex index = files.index();
    for (LogIndex.Slot slot : index.slots(persistenceId, from, to)) {
      ByteBuffer frame = ByteBuffer.allocate(slot.length());
      Segment seg = files.segments().get(slot.segment());
      try {
        if (seg == null) {
          throw new ClosedChannelException();
        }
        Segment.readFully(seg.channel, frame, slot.offset());
      } catch (ClosedChannelException e) {
        if (groupWriter.files() != files) {
          return false;
        }
        if (index.slots(persistenceId, slot.firstSeqNr(), slot.lastSeqNr()).contains(slot)) {
          throw new IOException(
              "journal segment " + Segment.fileName(slot.segment()) + " closed during replay", e);
        }
        continue; // deleted meanwhile and its segment reclaimed
      }
      byte[] buf = frame.array();
      int length = frame.getInt(0);
      if (length != slot.length() - LogFormat.FRAME_HEADER_SIZE
          || frame.getInt(4) != LogFormat.crc(buf, 0, length)) {
        throw new JournalCorruptedException(
            seg.path,
            slot.offset(),
            "record no longer matches its CRC (changed on disk after startup)");
      }
      ByteBuffer payload = ByteBuffer.wrap(buf, LogFormat.FRAME_HEADER_SIZE, length).slice();
      for (Event e : LogFormat.decodeEvents(payload)) {
        long seq = e.sequenceNr();
        if (seq >= slot.firstSeqNr() && seq <= slot.lastSeqNr() && seq >= from && seq <= to) {
          consumer.accept(seq, e.bytes());
          next[0] = seq + 1;
          if (--left[0] <= 0) {
            return true;
          }
        }
      }
    }
    return true;
  }

  /**
   * Whether the log can make writes durable now, and if not why (out of space, or failed); with the
   * free bytes of the journal's filesystem as of now. Any thread.
   */
  public JournalCondition condition() {
    return groupWriter.condition().withFreeBytes(groupWriter.freeBytes());
  }

  /** Cheap check of {@link #condition()}{@code .writable()}, for every write. Any thread. */
  public boolean writable() {
    return groupWriter.condition().writable();
  }

  public Stats stats() {
    return groupWriter.stats();
  }

  /**
   * Completes queued work, stops the writer, closes the segments and releases the directory lock.
   * Idempotent.
   */
  @Override
  public void close() throws IOException {
    synchronized (queue) {
      if (closed) {
        return;
      }
      closed = true;
      groupWriter.submitted();
      queue.add(new GroupWriter.CloseOp());
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    groupWriter.unregisterMeters();
    try {
      groupWriter.files().close();
    } finally {
      lock.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    log.info("journal {} at {} closed", settings.name(), settings.dir().toAbsolutePath());
  }

  private void submit(GroupWriter.Op op, CompletableFuture<?> done) {
    synchronized (queue) {
      if (!closed) {
        groupWriter.submitted();
        queue.add(op);
        return;
      }
    }
    done.completeExceptionally(
        new IllegalStateException("journal " + settings.name() + " is closed"));
  }
}
