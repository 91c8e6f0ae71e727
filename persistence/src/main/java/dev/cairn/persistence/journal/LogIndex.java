package dev.cairn.persistence.journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory index of the log, rebuilt from the segments at startup: per persistence id the highest
 * sequence number ever written, the deleted-to marker, and where each live atomic write is stored.
 *
 * <p>Mutated only by recovery and then by the writer thread, after the records it describes are
 * forced; read concurrently by replays. The per-segment accounting that decides which segments can
 * be reclaimed is writer-only.
 */
final class LogIndex {

  /** Where one stored atomic write lives and which sequence numbers of it are still current. */
  record Slot(long segment, long offset, int length, long firstSeqNr, long lastSeqNr) {}

  /** A persistence id's counters, as carried forward by a STATE record. */
  record Counters(String persistenceId, long deletedTo, long highest) {}

  private final ConcurrentHashMap<String, Entries> byPid = new ConcurrentHashMap<>();

  /** Live EVENTS records per segment. Writer thread (or recovery) only. */
  private final Map<Long, Integer> liveBySegment = new HashMap<>();

  void add(String pid, long firstSeqNr, long lastSeqNr, long segment, long offset, int length) {
    entries(pid).add(firstSeqNr, lastSeqNr, segment, offset, length);
  }

  void deleteTo(String pid, long toSeqNr, long segment) {
    entries(pid).restore(toSeqNr, 0, segment);
  }

  void restore(String pid, long deletedTo, long highest, long segment) {
    entries(pid).restore(deletedTo, highest, segment);
  }

  long highest(String pid) {
    Entries e = byPid.get(pid);
    return e == null ? 0L : e.highest();
  }

  long deletedTo(String pid) {
    Entries e = byPid.get(pid);
    return e == null ? 0L : e.deletedTo();
  }

  /** Live slots of {@code pid} that may hold sequence numbers in {@code [from, to]}, ascending. */
  List<Slot> slots(String pid, long from, long to) {
    Entries e = byPid.get(pid);
    return e == null ? List.of() : e.slots(from, to);
  }

  int persistenceIdCount() {
    return byPid.size();
  }

  /** Live EVENTS records in {@code segment}. Writer thread only. */
  int live(long segment) {
    return liveBySegment.getOrDefault(segment, 0);
  }

  /**
   * Counters of every id whose highest sequence number or deleted-to mark is proven only by records
   * in segments up to {@code segment}: they must be written again before those segments are
   * removed. Writer thread only.
   */
  List<Counters> anchoredAtOrBefore(long segment) {
    List<Counters> result = new ArrayList<>();
    byPid.forEach(
        (pid, e) -> {
          Counters c = e.anchoredAtOrBefore(pid, segment);
          if (c != null) {
            result.add(c);
          }
        });
    return result;
  }

  private Entries entries(String pid) {
    return byPid.computeIfAbsent(pid, p -> new Entries());
  }

  private void count(long segment, int delta) {
    liveBySegment.merge(segment, delta, (a, b) -> a + b == 0 ? null : a + b);
  }

  /**
   * Per-id entries in parallel primitive arrays (ascending, non-overlapping) to keep millions of
   * records cheap. Live entries are {@code [start, end)}.
   */
  private final class Entries {
    private long highest;
    private long deletedTo;

    /** Segments of the newest records that prove {@link #highest} and {@link #deletedTo}. */
    private long highestSegment;

    private long deletedSegment;
    private long[] lo = new long[2];
    private long[] hi = new long[2];
    private long[] segment = new long[2];
    private long[] offset = new long[2];
    private int[] length = new int[2];
    private int start;
    private int end;

    synchronized long highest() {
      return highest;
    }

    synchronized long deletedTo() {
      return deletedTo;
    }

    synchronized void add(long first, long last, long seg, long off, int len) {
      // The log refuses appends at taken sequence numbers; only a log written before it did can
      // hold a rewrite, and then the newer copy wins, as it did when it was written.
      while (end > start && lo[end - 1] >= first) {
        end--;
        count(segment[end], -1);
      }
      if (end > start && hi[end - 1] >= first) {
        hi[end - 1] = first - 1;
      }
      if (end == lo.length) {
        grow();
      }
      lo[end] = first;
      hi[end] = last;
      segment[end] = seg;
      offset[end] = off;
      length[end] = len;
      end++;
      count(seg, 1);
      if (last >= highest) {
        highest = last;
        highestSegment = seg;
      }
    }

    synchronized void restore(long newDeletedTo, long newHighest, long seg) {
      long high = Math.max(newHighest, newDeletedTo);
      if (high >= highest && high > 0) {
        highest = high;
        highestSegment = seg;
      }
      if (newDeletedTo >= deletedTo && newDeletedTo > 0) {
        deletedTo = newDeletedTo;
        deletedSegment = seg;
        while (start < end && hi[start] <= newDeletedTo) {
          count(segment[start], -1);
          start++;
        }
        if (start == end) {
          start = 0;
          end = 0;
        }
      }
    }

    synchronized Counters anchoredAtOrBefore(String pid, long seg) {
      boolean highestGoes = highest > 0 && highestSegment <= seg;
      boolean deletedGoes = deletedTo > 0 && deletedSegment <= seg;
      return highestGoes || deletedGoes ? new Counters(pid, deletedTo, highest) : null;
    }

    synchronized List<Slot> slots(long from, long to) {
      long first = Math.max(from, deletedTo + 1);
      if (first > to || start == end) {
        return List.of();
      }
      int lowIdx = start;
      int highIdx = end - 1;
      while (lowIdx < highIdx) {
        int mid = (lowIdx + highIdx) >>> 1;
        if (hi[mid] < first) {
          lowIdx = mid + 1;
        } else {
          highIdx = mid;
        }
      }
      List<Slot> result = new ArrayList<>();
      for (int i = lowIdx; i < end && lo[i] <= to; i++) {
        if (hi[i] >= first) {
          result.add(new Slot(segment[i], offset[i], length[i], Math.max(lo[i], first), hi[i]));
        }
      }
      return result;
    }

    private void grow() {
      int live = end - start;
      int cap = Math.max(4, live * 2);
      lo = Arrays.copyOfRange(lo, start, start + cap);
      hi = Arrays.copyOfRange(hi, start, start + cap);
      segment = Arrays.copyOfRange(segment, start, start + cap);
      offset = Arrays.copyOfRange(offset, start, start + cap);
      length = Arrays.copyOfRange(length, start, start + cap);
      start = 0;
      end = live;
    }
  }
}
