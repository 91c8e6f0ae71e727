package dev.cairn.persistence.journal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * never acknowledged) is truncated with a WARN; any other damage fails {@code open} with {@link
 * JournalCorruptedException} naming file and offset.
 *
 * <p><b>Failure.</b> If a write or force fails, that group fails and the log refuses all further
 * writes until it is reopened (after an fsync error the page cache state is unknown, so retrying
 * could acknowledge lost data).
 *
 * <p><b>Space.</b> After each segment roll, the oldest segments whose events are all deleted or
 * superseded are removed; counters only they carried are first written again, so highest sequence
 * numbers survive. The index keeps about 40 bytes of heap per live atomic write.
 */
public final class ForcedLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ForcedLog.class);
  private static final int STAGING_BYTES = 1 << 20;

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

  private sealed interface Op permits AppendOp, DeleteOp, HighestOp, CloseOp {}

  private record AppendOp(List<EncodedWrite> writes, long bytes, CompletableFuture<Void> done)
      implements Op {}

  private record DeleteOp(String pid, long toSeqNr, CompletableFuture<Void> done) implements Op {}

  private record HighestOp(String pid, CompletableFuture<Long> done) implements Op {}

  private record CloseOp() implements Op {}

  private sealed interface IndexChange permits Added, Deleted {}

  private record Added(EncodedWrite write, long segment, long offset) implements IndexChange {}

  private record Deleted(String pid, long toSeqNr, long segment) implements IndexChange {}

  private final JournalSettings settings;
  private final Forcer forcer;
  private final DirectoryLock lock;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final LogIndex index = new LogIndex();
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private boolean closed; // guarded by queue

  // Writer-thread state.
  private Segment active;
  private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
  private boolean dirty;
  private boolean rolled;
  private volatile Throwable failure;

  private final DistributionSummary batchEvents;
  private final Timer forceTimer;
  private final Counter forceCounter;
  private final AtomicLong forces = new AtomicLong();
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong reclaimed = new AtomicLong();

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
    this.forcer = forcer;
    this.lock = lock;
    Tags tags = Tags.of("journal", settings.name());
    this.batchEvents =
        DistributionSummary.builder("cairn.journal.batch.events")
            .description("Events made durable per forced write (group commit size)")
            .baseUnit("events")
            .publishPercentileHistogram()
            .maximumExpectedValue(1e6)
            .tags(tags)
            .register(Metrics.globalRegistry);
    this.forceTimer =
        Timer.builder("cairn.journal.force")
            .description("Time spent forcing the journal to stable storage")
            .publishPercentileHistogram()
            .tags(tags)
            .register(Metrics.globalRegistry);
    this.forceCounter =
        Counter.builder("cairn.journal.forces")
            .description("Forced writes (fsync calls) of the journal")
            .tags(tags)
            .register(Metrics.globalRegistry);
    if (!settings.fsync()) {
      log.warn(
          "journal {} at {}: fsync = off; acknowledged writes are NOT durable across power loss. "
              + "Use this setting for tests only.",
          settings.name(),
          settings.dir().toAbsolutePath());
    }
    long started = System.nanoTime();
    try {
      recover();
    } catch (IOException | RuntimeException e) {
      closeSegments();
      throw e;
    }
    log.info(
        "journal {} opened at {}: {} segment(s), {} persistence id(s), recovered in {} ms, fsync = {}",
        settings.name(),
        settings.dir().toAbsolutePath(),
        segments.size(),
        index.persistenceIdCount(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        settings.fsync() ? "on" : "off");
    this.writer = new Thread(this::writerLoop, "cairn-journal-writer-" + settings.name());
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
    long size = 0;
    for (EncodedWrite w : batch) {
      size += w.frame().length;
    }
    submit(new AppendOp(List.copyOf(batch), size, done), done);
    return done;
  }

  /**
   * Durably marks events of {@code persistenceId} up to {@code toSeqNr} (capped at the highest
   * stored) as deleted.
   */
  public CompletableFuture<Void> deleteTo(String persistenceId, long toSeqNr) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new DeleteOp(persistenceId, toSeqNr, done), done);
    return done;
  }

  /**
   * The highest sequence number ever stored for the id (0 if none), after all previously submitted
   * writes.
   */
  public CompletableFuture<Long> highestSequenceNr(String persistenceId) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    submit(new HighestOp(persistenceId, done), done);
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
    long delivered = 0;
    for (LogIndex.Slot slot : index.slots(persistenceId, from, to)) {
      ByteBuffer frame = ByteBuffer.allocate(slot.length());
      Segment seg = segments.get(slot.segment());
      try {
        if (seg == null) {
          throw new ClosedChannelException();
        }
        Segment.readFully(seg.channel, frame, slot.offset());
      } catch (ClosedChannelException e) {
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
          if (++delivered >= max) {
            return;
          }
        }
      }
    }
  }

  public Stats stats() {
    return new Stats(
        forces.get(), groups.get(), writes.get(), events.get(), bytes.get(), reclaimed.get());
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
      queue.add(new CloseOp());
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      closeSegments();
    } finally {
      lock.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    log.info("journal {} at {} closed", settings.name(), settings.dir().toAbsolutePath());
  }

  private void submit(Op op, CompletableFuture<?> done) {
    synchronized (queue) {
      if (!closed) {
        queue.add(op);
        return;
      }
    }
    done.completeExceptionally(
        new IllegalStateException("journal " + settings.name() + " is closed"));
  }

  private void closeSegments() throws IOException {
    IOException first = null;
    for (Segment s : segments.values()) {
      try {
        s.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  // ---------------------------------------------------------------- recovery

  private void recover() throws IOException {
    List<Path> files = Segment.list(settings.dir());
    long expected = -1;
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      boolean last = i == files.size() - 1;
      long idx = Segment.indexOf(file);
      if (expected != -1 && idx != expected) {
        throw new JournalCorruptedException(
            settings.dir().resolve(Segment.fileName(expected)),
            0,
            "segment file is missing between "
                + files.get(i - 1).getFileName()
                + " and "
                + file.getFileName());
      }
      expected = idx + 1;
      Segment seg = Segment.open(file, last);
      segments.put(idx, seg);
      scan(seg, last);
    }
    if (segments.isEmpty()) {
      active = Segment.create(settings.dir(), 1);
      segments.put(active.index, active);
    } else {
      active = segments.lastEntry().getValue();
    }
  }

  private void scan(Segment seg, boolean last) throws IOException {
    long size = seg.channel.size();
    if (size < LogFormat.SEGMENT_HEADER_SIZE) {
      if (!last) {
        throw new JournalCorruptedException(
            seg.path, 0, "sealed segment is shorter than its header (" + size + " bytes)");
      }
      log.warn(
          "journal segment {} has an incomplete header ({} bytes; a crash while creating it); rewriting it",
          seg.path,
          size);
      seg.channel.truncate(0);
      seg.channel.close();
      segments.put(seg.index, Segment.create(settings.dir(), seg.index));
      return;
    }
    Segment.checkHeader(seg.path, seg.channel, seg.index);
    Window window = new Window(seg.channel, size);
    long pos = LogFormat.SEGMENT_HEADER_SIZE;
    while (pos < size) {
      String damage = readRecord(seg, window, pos, size);
      if (damage == null) {
        pos += LogFormat.FRAME_HEADER_SIZE + window.intAt(pos);
        continue;
      }
      if (last && !validRecordAfter(seg.channel, pos + 1, size)) {
        log.warn(
            "journal segment {}: torn record at offset {} ({}), the unacknowledged tail of a crash; "
                + "truncating {} byte(s)",
            seg.path,
            pos,
            damage,
            size - pos);
        seg.channel.truncate(pos);
        seg.channel.force(true);
        size = pos;
        break;
      }
      throw new JournalCorruptedException(
          seg.path,
          pos,
          damage + (last ? ", and valid records follow it" : " in a sealed (non-last) segment"));
    }
    seg.size = size;
  }

  /** Indexes the record at {@code pos}; returns null, or what is wrong with it. */
  private String readRecord(Segment seg, Window window, long pos, long size) throws IOException {
    long remaining = size - pos;
    if (remaining < LogFormat.FRAME_HEADER_SIZE) {
      return "incomplete record header (" + remaining + " bytes)";
    }
    window.load(pos, LogFormat.FRAME_HEADER_SIZE);
    int length = window.intAt(pos);
    if (!LogFormat.plausibleLength(length)) {
      return "impossible record length " + length;
    }
    if (length > remaining - LogFormat.FRAME_HEADER_SIZE) {
      return "record of " + length + " bytes runs past the end of the file";
    }
    int off = window.load(pos, LogFormat.FRAME_HEADER_SIZE + length);
    byte[] buf = window.buf;
    if (ByteBuffer.wrap(buf).getInt(off + 4) != LogFormat.crc(buf, off, length)) {
      return "CRC mismatch";
    }
    LogFormat.Summary s;
    try {
      s =
          LogFormat.summarize(
              ByteBuffer.wrap(buf, off + LogFormat.FRAME_HEADER_SIZE, length).slice());
    } catch (RuntimeException e) {
      return "malformed record (" + e.getMessage() + ")";
    }
    if (s.type() == LogFormat.TYPE_EVENTS) {
      index.add(
          s.persistenceId(),
          s.firstSeqNr(),
          s.lastSeqNr(),
          seg.index,
          pos,
          LogFormat.FRAME_HEADER_SIZE + length);
    } else if (s.type() == LogFormat.TYPE_DELETE) {
      index.deleteTo(s.persistenceId(), s.lastSeqNr(), seg.index);
    } else {
      index.restore(s.persistenceId(), s.firstSeqNr(), s.lastSeqNr(), seg.index);
    }
    return null;
  }

  /**
   * Whether any CRC-valid record starts in {@code [from, size)}: tells a torn tail from damage
   * before data.
   */
  private static boolean validRecordAfter(FileChannel ch, long from, long size) throws IOException {
    if (from >= size) {
      return false;
    }
    int n = (int) Math.min(size - from, Integer.MAX_VALUE - 16);
    ByteBuffer b = ByteBuffer.allocate(n);
    Segment.readFully(ch, b, from);
    byte[] buf = b.array();
    for (int off = 0; off + LogFormat.FRAME_HEADER_SIZE < n; off++) {
      if (LogFormat.checkFrame(buf, off, n - off) != null) {
        return true;
      }
    }
    return false;
  }

  /** A read window over a segment so that recovery does not issue two reads per record. */
  private static final class Window {
    private final FileChannel channel;
    private final long size;
    byte[] buf = new byte[1 << 20];
    private long start;
    private int length;

    Window(FileChannel channel, long size) {
      this.channel = channel;
      this.size = size;
    }

    /**
     * Ensures {@code [pos, pos + n)} is loaded; returns the offset of {@code pos} in {@link #buf}.
     */
    int load(long pos, int n) throws IOException {
      if (pos >= start && pos + n <= start + length) {
        return (int) (pos - start);
      }
      int want = (int) Math.min(Math.max(n, 1 << 20), size - pos);
      if (buf.length < want) {
        buf = new byte[want];
      }
      ByteBuffer b = ByteBuffer.wrap(buf, 0, want);
      Segment.readFully(channel, b, pos);
      start = pos;
      length = want;
      return 0;
    }

    int intAt(long pos) {
      return ByteBuffer.wrap(buf).getInt((int) (pos - start));
    }
  }

  // ---------------------------------------------------------------- writer thread

  private void writerLoop() {
    List<Op> group = new ArrayList<>();
    Op carry = null;
    boolean running = true;
    while (running) {
      Op first;
      if (carry != null) {
        first = carry;
        carry = null;
      } else {
        try {
          first = queue.take();
        } catch (InterruptedException e) {
          continue; // only close() stops the writer
        }
      }
      group.add(first);
      long groupBytes = sizeOf(first);
      while (!(group.get(group.size() - 1) instanceof CloseOp)) {
        Op next = queue.poll();
        if (next == null) {
          break;
        }
        if (groupBytes + sizeOf(next) > settings.maxGroupBytes()) {
          carry = next;
          break;
        }
        group.add(next);
        groupBytes += sizeOf(next);
      }
      running = !(group.get(group.size() - 1) instanceof CloseOp);
      processGroup(group);
      group.clear();
    }
  }

  /**
   * Why {@code writes} may not be appended after everything stored and staged in this group, or
   * null. All of an append or none of it: each write is checked against the ones before it.
   */
  private FencedAppendException fence(List<EncodedWrite> writes, Map<String, Long> groupHighest) {
    Map<String, Long> tentative = new HashMap<>();
    for (EncodedWrite w : writes) {
      String pid = w.persistenceId();
      Long seen = tentative.get(pid);
      if (seen == null) {
        seen = groupHighest.get(pid);
      }
      long highest = seen != null ? seen : index.highest(pid);
      if (w.firstSeqNr() != highest + 1) {
        return new FencedAppendException(pid, w.firstSeqNr(), highest);
      }
      tentative.put(pid, w.lastSeqNr());
    }
    return null;
  }

  private static long sizeOf(Op op) {
    return op instanceof AppendOp a ? a.bytes() : 64;
  }

  private void processGroup(List<Op> group) {
    if (failure != null) {
      failGroup(group);
      return;
    }
    List<IndexChange> changes = new ArrayList<>();
    Map<String, Long> groupHighest = new HashMap<>();
    Map<String, Long> groupDeleted = new HashMap<>();
    long groupEvents = 0;
    long groupWrites = 0;
    long groupBytes = 0;
    try {
      for (Op op : group) {
        if (op instanceof AppendOp a) {
          FencedAppendException refused = fence(a.writes(), groupHighest);
          if (refused != null) {
            a.done().completeExceptionally(refused);
            continue;
          }
          for (EncodedWrite w : a.writes()) {
            long offset = put(w.frame());
            changes.add(new Added(w, active.index, offset));
            groupHighest.merge(w.persistenceId(), w.lastSeqNr(), Math::max);
            groupEvents += w.eventCount();
            groupWrites++;
            groupBytes += w.frame().length;
          }
        } else if (op instanceof DeleteOp d) {
          long highest = Math.max(index.highest(d.pid()), groupHighest.getOrDefault(d.pid(), 0L));
          long deleted = Math.max(index.deletedTo(d.pid()), groupDeleted.getOrDefault(d.pid(), 0L));
          long to = Math.min(d.toSeqNr(), highest);
          if (to > deleted) {
            byte[] frame = LogFormat.encodeDelete(d.pid(), to);
            put(frame);
            changes.add(new Deleted(d.pid(), to, active.index));
            groupDeleted.put(d.pid(), to);
            groupBytes += frame.length;
          }
        }
      }
      if (dirty) {
        flushStaging();
        force(active);
      }
    } catch (Throwable e) {
      failure = e;
      log.error(
          "journal {} at {}: write failed; failing this group and refusing further writes until the "
              + "journal is reopened",
          settings.name(),
          settings.dir().toAbsolutePath(),
          e);
      failGroup(group);
      return;
    }
    for (IndexChange c : changes) {
      if (c instanceof Added a) {
        EncodedWrite w = a.write();
        index.add(
            w.persistenceId(),
            w.firstSeqNr(),
            w.lastSeqNr(),
            a.segment(),
            a.offset(),
            w.frame().length);
      } else if (c instanceof Deleted d) {
        index.deleteTo(d.pid(), d.toSeqNr(), d.segment());
      }
    }
    if (groupWrites > 0) {
      groups.incrementAndGet();
      writes.addAndGet(groupWrites);
      events.addAndGet(groupEvents);
      batchEvents.record(groupEvents);
    }
    bytes.addAndGet(groupBytes);
    for (Op op : group) {
      if (op instanceof AppendOp a) {
        a.done().complete(null); // no-op for an append refused by fence()
      } else if (op instanceof DeleteOp d) {
        d.done().complete(null);
      } else if (op instanceof HighestOp h) {
        h.done().complete(index.highest(h.pid()));
      }
    }
    if (rolled) {
      rolled = false;
      try {
        reclaim();
      } catch (Throwable e) {
        failure = e;
        log.error(
            "journal {} at {}: reclaiming old segments failed; refusing further writes until the "
                + "journal is reopened",
            settings.name(),
            settings.dir().toAbsolutePath(),
            e);
      }
    }
  }

  /**
   * Removes the oldest segments that hold no live event any more. Counters those segments alone
   * carried are first written again (STATE records) and forced, so the highest sequence numbers and
   * deleted-to marks survive. Segments go oldest first, so a crash midway leaves a contiguous log.
   */
  private void reclaim() throws IOException {
    long lastDead = -1;
    for (Segment s : segments.headMap(active.index).values()) {
      if (index.live(s.index) > 0) {
        break;
      }
      lastDead = s.index;
    }
    if (lastDead < 0) {
      return;
    }
    List<LogIndex.Counters> carried = index.anchoredAtOrBefore(lastDead);
    List<Long> carriedTo = new ArrayList<>(carried.size());
    for (LogIndex.Counters c : carried) {
      put(LogFormat.encodeState(c.persistenceId(), c.deletedTo(), c.highest()));
      carriedTo.add(active.index);
    }
    if (dirty) {
      flushStaging();
      force(active);
    }
    for (int i = 0; i < carried.size(); i++) {
      LogIndex.Counters c = carried.get(i);
      index.restore(c.persistenceId(), c.deletedTo(), c.highest(), carriedTo.get(i));
    }
    List<Segment> dead = new ArrayList<>(segments.headMap(lastDead, true).values());
    for (Segment s : dead) {
      segments.remove(s.index);
      s.close();
      Files.delete(s.path);
    }
    Segment.forceDirectory(settings.dir());
    reclaimed.addAndGet(dead.size());
    log.info(
        "journal {}: reclaimed {} segment(s) up to {} holding only deleted or superseded events",
        settings.name(),
        dead.size(),
        Segment.fileName(lastDead));
  }

  private void failGroup(List<Op> group) {
    IOException cause =
        new IOException(
            "journal "
                + settings.name()
                + " at "
                + settings.dir().toAbsolutePath()
                + " is unavailable after a failed write; reopen it to recover",
            failure);
    for (Op op : group) {
      if (op instanceof AppendOp a) {
        a.done().completeExceptionally(cause);
      } else if (op instanceof DeleteOp d) {
        d.done().completeExceptionally(cause);
      } else if (op instanceof HighestOp h) {
        h.done().complete(index.highest(h.pid())); // the index holds only forced writes
      }
    }
  }

  /**
   * Stages a record for the active segment, rolling first if it would overflow; returns its offset.
   */
  private long put(byte[] frame) throws IOException {
    long end = active.size + staging.position();
    if (end > LogFormat.SEGMENT_HEADER_SIZE && end + frame.length > settings.segmentSize()) {
      roll();
      end = active.size;
    }
    if (frame.length > staging.remaining()) {
      flushStaging();
    }
    if (frame.length > staging.capacity()) {
      active.append(ByteBuffer.wrap(frame));
    } else {
      staging.put(frame);
    }
    dirty = true;
    return end;
  }

  private void flushStaging() throws IOException {
    staging.flip();
    try {
      active.append(staging);
    } finally {
      staging.clear();
    }
  }

  private void roll() throws IOException {
    flushStaging();
    force(active);
    Segment next = Segment.create(settings.dir(), active.index + 1);
    segments.put(next.index, next);
    active = next;
    rolled = true;
  }

  private void force(Segment seg) throws IOException {
    dirty = false;
    if (!settings.fsync()) {
      return;
    }
    long started = System.nanoTime();
    forcer.force(seg.channel);
    forceTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    forceCounter.increment();
    forces.incrementAndGet();
  }
}
