package dev.cairn.persistence.journal;

import dev.cairn.persistence.journal.ForcedLog.EncodedWrite;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log's one writer thread and its group commit: drains everything queued (up to {@code
 * max-group-bytes}), checks each append against the fencing rule, stages the records, forces once,
 * updates the index and only then completes every future of the group. After each segment roll it
 * runs the {@link SegmentReclaimer}. Everything here but {@link #stats} runs on the writer thread.
 * Logs under {@link ForcedLog}'s name.
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
  private final LogFiles files;
  private final LogIndex index;
  private final SegmentReclaimer reclaimer;

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

  GroupWriter(
      JournalSettings settings, ForcedLog.Forcer forcer, BlockingQueue<Op> queue, LogFiles files) {
    this.settings = settings;
    this.forcer = forcer;
    this.queue = queue;
    this.files = files;
    this.index = files.index();
    this.active = files.active();
    this.reclaimer = new SegmentReclaimer(settings, files, this);
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
        flushAndForce();
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
        reclaimer.reclaim(active.index);
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
      active.append(ByteBuffer.wrap(frame));
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
      active.append(staging);
    } finally {
      staging.clear();
    }
  }

  private void roll() throws IOException {
    flushStaging();
    force(active);
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
