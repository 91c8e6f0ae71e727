package dev.cairn.persistence.journal;

import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log's one writer thread and its group commit: drains everything queued (up to {@code
 * max-group-bytes}), checks each append against the fencing rule, stages the records, forces once,
 * updates the index and only then completes every future of the group. After each segment roll it
 * runs the {@link SegmentReclaimer}. Everything here but {@link #stats}, {@link #files}, {@link
 * #condition}, {@link #idle} and {@link #submitted} runs on the writer thread, or, through {@link
 * #runHere} while the writer is idle, on a thread writing in its place: either holds {@code turn}.
 * Logs under {@link ForcedLog}'s name.
 *
 * <p><b>Failure and resumption.</b> When a write or force fails, the group's bytes are truncated
 * away (back to where the group started, removing any segment it created) before its futures fail,
 * so a failed write never becomes durable later; the log enters {@link
 * JournalCondition.State#NO_SPACE} (the error says so) or {@link JournalCondition.State#FAILED} and
 * logs that once. While not writable every operation but {@code highestSequenceNr} fails at once,
 * without touching the disk. Every {@code retry-interval} the writer checks again: out of space, it
 * waits until {@code resume-free-space} bytes are free; then it recovers the directory from scratch
 * ({@link LogRecovery}), because after a failed write or fsync the page cache no longer tells what
 * is on disk, and writes resume.
 */
final class GroupWriter implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ForcedLog.class);
  private static final int STAGING_BYTES = 1 << 20;

  /** Work for the writer, in submission order. */
  sealed interface Op permits AppendOp, DeleteOp, HighestOp, CloseOp {}

  record AppendOp(List<EncodedWrite> writes, long bytes, CompletableFuture<Void> done)
      implements Op {}

  record DeleteOp(String pid, long toSeqNr, CompletableFuture<Void> done) implements Op {}

  record HighestOp(String pid, CompletableFuture<Long> done) implements Op {}

  record CloseOp() implements Op {}

  private sealed interface IndexChange permits Added, Deleted {}

  private record Added(EncodedWrite write, long segment, long offset) implements IndexChange {}

  private record Deleted(String pid, long toSeqNr, long segment) implements IndexChange {}

  private final JournalSettings settings;
  private final ForcedLog.Forcer forcer;
  private final BlockingQueue<Op> queue;
  private final SegmentReclaimer reclaimer;
  private final FileStore store;
  private volatile LogFiles files;
  private LogIndex index;

  private Segment active;
  private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
  private boolean dirty;
  private boolean rolled;

  /** Where the current group started: a failed group is truncated back to it. */
  private long safeSegment;

  private long safeSize;
  private boolean rollbackPending;
  private volatile JournalCondition condition;
  private long nextAttempt;
  private long lastTrace;
  private static final long TRACE_EVERY_NANOS = TimeUnit.MINUTES.toNanos(10);
  private final List<Meter> gauges = new ArrayList<>();
  private final Counter failuresNoSpace;
  private final Counter failuresIo;
  private final Counter refusedUnwritable;
  private final Counter refusedFenced;
  private final Counter resumes;

  /** Held while a group is processed, by the writer thread or a thread writing in its place. */
  private final ReentrantLock turn = new ReentrantLock();

  /** Operations submitted to the queue and not processed yet (taken or not). */
  private final AtomicInteger outstanding = new AtomicInteger();

  /** Set (under {@link #turn}) once the writer has stopped: nothing may write any more. */
  private boolean stopped;

  private final DistributionSummary batchEvents;
  private final Timer forceTimer;
  private final Counter forceCounter;
  private final AtomicLong forces = new AtomicLong();
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  GroupWriter(
      JournalSettings settings, ForcedLog.Forcer forcer, BlockingQueue<Op> queue, LogFiles files) {
    this.settings = settings;
    this.forcer = forcer;
    this.queue = queue;
    this.files = files;
    this.index = files.index();
    this.active = files.active();
    this.reclaimer = new SegmentReclaimer(settings, this);
    this.store = fileStore(settings);
    this.condition =
        new JournalCondition(
            JournalCondition.State.WRITABLE,
            settings.dir().toAbsolutePath(),
            freeBytes(),
            "",
            Instant.now());
    Tags tags = Tags.of("journal", settings.name());
    gauges.add(
        Gauge.builder("cairn.journal.free", this, GroupWriter::freeBytes)
            .description("Bytes free for the server on the journal directory's filesystem")
            .baseUnit("bytes")
            .tags(tags)
            .register(Metrics.globalRegistry));
    gauges.add(
        Gauge.builder(
                "cairn.journal.no.space",
                this,
                w -> w.condition.state() == JournalCondition.State.NO_SPACE ? 1 : 0)
            .description("1 while journal writes fail for lack of space, else 0")
            .tags(tags)
            .register(Metrics.globalRegistry));
    gauges.add(
        Gauge.builder("cairn.journal.writable", this, w -> w.condition.writable() ? 1 : 0)
            .description("1 while the journal can make writes durable, else 0")
            .tags(tags)
            .register(Metrics.globalRegistry));
    this.failuresNoSpace = failures(tags, "no_space");
    this.failuresIo = failures(tags, "io");
    this.refusedUnwritable = refused(tags, "unwritable");
    this.refusedFenced = refused(tags, "fenced");
    this.resumes =
        Counter.builder("cairn.journal.resumes")
            .description("Times journal writes resumed after failing (no space or I/O error)")
            .tags(tags)
            .register(Metrics.globalRegistry);
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
  }

  private static Counter failures(Tags tags, String reason) {
    return Counter.builder("cairn.journal.write.failures")
        .description("Groups of journal writes that failed on a write or force error, by reason")
        .tags(tags.and("reason", reason))
        .register(Metrics.globalRegistry);
  }

  private static Counter refused(Tags tags, String reason) {
    return Counter.builder("cairn.journal.appends.refused")
        .description(
            "Appends refused without writing: unwritable (no space or failed journal), fenced"
                + " (taken or skipped sequence number)")
        .tags(tags.and("reason", reason))
        .register(Metrics.globalRegistry);
  }

  private static FileStore fileStore(JournalSettings settings) {
    try {
      return Files.getFileStore(settings.dir());
    } catch (IOException e) {
      return null;
    }
  }

  /** Bytes free for this process on the journal's filesystem, -1 if unknown; any thread. */
  long freeBytes() {
    try {
      return store == null ? -1 : store.getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The log's current condition; any thread. */
  JournalCondition condition() {
    return condition;
  }

  /** The open segments and index, replaced when the log recovers from a failure; any thread. */
  LogFiles files() {
    return files;
  }

  /** Removes this log's gauges, so a log reopened under the same name reports its own. */
  void unregisterMeters() {
    gauges.forEach(Metrics.globalRegistry::remove);
  }

  /** Counters since open; any thread. */
  ForcedLog.Stats stats() {
    return new ForcedLog.Stats(
        forces.get(), groups.get(), writes.get(), events.get(), bytes.get(), reclaimer.reclaimed());
  }

  @Override
  public void run() {
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
          if (condition.writable()) {
            first = queue.take();
          } else {
            first = queue.poll(settings.retryInterval().toNanos(), TimeUnit.NANOSECONDS);
            if (first == null) {
              turn.lock();
              try {
                maybeResume(); // so that writes (and readiness) come back without traffic
              } finally {
                turn.unlock();
              }
              continue;
            }
          }
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
      turn.lock();
      try {
        processGroup(group);
      } finally {
        turn.unlock();
      }
      outstanding.addAndGet(-group.size());
      group.clear();
    }
    // A clean close leaves the active segment ending at its last record. Only here, on the writer
    // thread: an old segment closed after a recovery shares its file with the new one.
    turn.lock();
    try {
      stopped = true;
      trimOnClose();
    } finally {
      turn.unlock();
    }
  }

  private void trimOnClose() {
    if (condition.writable()) {
      try {
        active.trim();
      } catch (IOException e) {
        log.debug("journal {}: trimming the active segment: {}", settings.name(), e.toString());
      }
    }
  }

  /** Counts an operation about to be queued; call before adding it to the queue. */
  void submitted() {
    outstanding.incrementAndGet();
  }

  /** Whether nothing is queued or being processed: a write now would find the writer idle. */
  boolean idle() {
    return outstanding.get() == 0 && condition.writable();
  }

  /**
   * Processes {@code ops} (appends) on the calling thread, as one group with one force, if the
   * writer is idle: nothing queued, nothing being processed. Returns false, having done nothing,
   * otherwise; the caller then queues them. Ops queued before these are therefore always processed
   * first. Blocks for the force.
   */
  boolean runHere(List<Op> ops) {
    if (!idle() || !turn.tryLock()) {
      return false;
    }
    try {
      if (stopped || outstanding.get() != 0 || !condition.writable()) {
        return false;
      }
      processGroup(ops);
      return true;
    } finally {
      turn.unlock();
    }
  }

  private static long sizeOf(Op op) {
    return op instanceof AppendOp a ? a.bytes() : 64;
  }

  private void processGroup(List<Op> group) {
    if (!condition.writable()) {
      maybeResume();
      if (!condition.writable()) {
        failGroup(group, new JournalUnwritableException(settings.name(), condition, null));
        return;
      }
    }
    safeSegment = active.index;
    safeSize = active.size;
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
            refusedFenced.increment();
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
        flushAndForce();
      }
    } catch (Throwable e) {
      rollbackPending = true;
      rollBack();
      enter(classify(e), e);
      (condition.state() == JournalCondition.State.NO_SPACE ? failuresNoSpace : failuresIo)
          .increment();
      failGroup(group, new JournalUnwritableException(settings.name(), condition, e));
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
        reclaimer.reclaim(files, active.index);
      } catch (Throwable e) {
        // Nothing to roll back: the STATE records it may have written only restate counters, and
        // the recovery that resumes writes reads whatever the reclamation left.
        enter(classify(e), e);
        (condition.state() == JournalCondition.State.NO_SPACE ? failuresNoSpace : failuresIo)
            .increment();
      }
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

  private void failGroup(List<Op> group, JournalUnwritableException cause) {
    for (Op op : group) {
      if (op instanceof AppendOp a) {
        if (a.done().completeExceptionally(cause)) {
          refusedUnwritable.increment();
        }
      } else if (op instanceof DeleteOp d) {
        d.done().completeExceptionally(cause);
      } else if (op instanceof HighestOp h) {
        h.done().complete(index.highest(h.pid())); // the index holds only forced writes
      }
    }
  }

  /** The condition a write failure {@code e} puts the log in. */
  private JournalCondition classify(Throwable e) {
    long free = freeBytes();
    boolean noSpace = free == 0;
    for (Throwable t = e; t != null && !noSpace; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      noSpace = m.contains("No space left on device") || m.contains("Disk quota exceeded");
    }
    JournalCondition.State state =
        noSpace ? JournalCondition.State.NO_SPACE : JournalCondition.State.FAILED;
    Instant since = condition.state() == state ? condition.since() : Instant.now();
    return new JournalCondition(
        state, settings.dir().toAbsolutePath(), free, String.valueOf(e), since);
  }

  /** Moves to {@code next}, logging once per change of state (never per failed write). */
  private void enter(JournalCondition next, Throwable cause) {
    JournalCondition previous = condition;
    condition = next;
    nextAttempt = System.nanoTime() + settings.retryInterval().toNanos();
    if (previous.state() == next.state()) {
      log.debug("journal {}: still {}: {}", settings.name(), next.state(), next.reason());
      return;
    }
    if (next.state() == JournalCondition.State.NO_SPACE) {
      log.error(
          "journal {} at {}: out of space ({} bytes free): {}; writes fail at once with "
              + "insufficient_storage until {} bytes are free, then resume by themselves",
          settings.name(),
          next.dir(),
          next.freeBytes(),
          next.reason(),
          settings.resumeFreeSpace());
    } else {
      // A disk that keeps failing after each successful reopen gets one stack trace per 10 min.
      boolean trace = lastTrace == 0 || System.nanoTime() - lastTrace > TRACE_EVERY_NANOS;
      if (trace) {
        lastTrace = System.nanoTime();
      }
      log.error(
          "journal {} at {}: write failed ({} bytes free): {}; writes fail at once until the journal"
              + " can write again (checked every {} ms)",
          settings.name(),
          next.dir(),
          next.freeBytes(),
          next.reason(),
          settings.retryInterval().toMillis(),
          trace ? cause : null);
    }
  }

  /**
   * Truncates what the failed group wrote: its bytes in the segment it started in and any segment
   * it created. Until this succeeds, a restart could find a failed write complete on disk.
   */
  private void rollBack() {
    staging.clear();
    dirty = false;
    rolled = false;
    try {
      LogFiles f = files;
      List<Segment> created = new ArrayList<>(f.segments().tailMap(safeSegment, false).values());
      for (Segment s : created) {
        f.segments().remove(s.index);
        s.close();
        Files.deleteIfExists(s.path);
      }
      Segment start = f.segments().get(safeSegment);
      start.truncate(safeSize);
      start.channel.force(true);
      active = start;
      if (!created.isEmpty()) {
        Segment.forceDirectory(settings.dir());
      }
      rollbackPending = false;
    } catch (IOException | RuntimeException e) {
      log.debug(
          "journal {}: rolling back a failed group failed: {}", settings.name(), e.toString());
    }
  }

  /**
   * If the retry interval has passed and (out of space) enough is free again: rolls back what is
   * still pending, recovers the directory from disk into new segments and a new index, closes the
   * old ones and becomes writable.
   */
  private void maybeResume() {
    long now = System.nanoTime();
    if (now - nextAttempt < 0) {
      return;
    }
    nextAttempt = now + settings.retryInterval().toNanos();
    long free = freeBytes();
    if (condition.state() == JournalCondition.State.NO_SPACE
        && free >= 0
        && free < settings.resumeFreeSpace()) {
      condition = condition.withFreeBytes(free);
      return;
    }
    try {
      if (rollbackPending) {
        rollBack();
        if (rollbackPending) {
          throw new IOException("the failed group's bytes could not be truncated yet");
        }
      }
      // Recovered first and swapped in before the old segments close, so a replay running
      // meanwhile finds the new files when its channel closes (see ForcedLog.replay).
      LogFiles fresh = LogRecovery.recover(settings.dir());
      LogFiles old = files;
      files = fresh;
      index = fresh.index();
      active = fresh.active();
      try {
        old.close();
      } catch (IOException e) {
        log.debug("journal {}: closing the old segments: {}", settings.name(), e.toString());
      }
    } catch (Throwable e) {
      enter(classify(e), e);
      return;
    }
    JournalCondition failed = condition;
    condition =
        new JournalCondition(
            JournalCondition.State.WRITABLE, failed.dir(), freeBytes(), "", Instant.now());
    resumes.increment();
    log.info(
        "journal {} at {}: writes resume ({} bytes free) after {} s of {}; the log was re-read from"
            + " disk",
        settings.name(),
        failed.dir(),
        condition.freeBytes(),
        java.time.Duration.between(failed.since(), condition.since()).toSeconds(),
        failed.state());
  }

  /**
   * Stages a record for the active segment, rolling first if it would overflow; returns its offset.
   */
  long put(byte[] frame) throws IOException {
    long end = active.size + staging.position();
    if (end > LogFormat.SEGMENT_HEADER_SIZE && end + frame.length > settings.segmentSize()) {
      roll();
      end = active.size;
    }
    if (frame.length > staging.remaining()) {
      flushStaging();
    }
    if (frame.length > staging.capacity()) {
      active.append(ByteBuffer.wrap(frame), settings.segmentSize());
    } else {
      staging.put(frame);
    }
    dirty = true;
    return end;
  }

  /** The index of the segment the last {@link #put} went to. */
  long activeIndex() {
    return active.index;
  }

  /** Writes what is staged and forces the active segment, if anything was put since the last. */
  void flushAndForce() throws IOException {
    if (dirty) {
      flushStaging();
      force(active);
    }
  }

  private void flushStaging() throws IOException {
    staging.flip();
    try {
      active.append(staging, settings.segmentSize());
    } finally {
      staging.clear();
    }
  }

  private void roll() throws IOException {
    flushStaging();
    force(active);
    // Sealed, the segment ends at its last record (before the next one exists).
    active.trim();
    Segment next = Segment.create(settings.dir(), active.index + 1);
    files.segments().put(next.index, next);
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
