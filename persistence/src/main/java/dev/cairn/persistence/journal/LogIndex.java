package dev.cairn.persistence.journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory index of the log, rebuilt from the segments at startup: per persistence id the highest sequence number
 * ever written, the deleted-to marker, and where each live atomic write is stored. Mutated by the writer thread only
 * after the records it describes are forced; read concurrently by replays.
 */
final class LogIndex {

    /** Where one stored atomic write lives and which sequence numbers of it are still current. */
    record Slot(long segment, long offset, int length, long firstSeqNr, long lastSeqNr) {}

    private final ConcurrentHashMap<String, Entries> byPid = new ConcurrentHashMap<>();

    void add(String pid, long firstSeqNr, long lastSeqNr, long segment, long offset, int length) {
        byPid.computeIfAbsent(pid, p -> new Entries()).add(firstSeqNr, lastSeqNr, segment, offset, length);
    }

    void deleteTo(String pid, long toSeqNr) {
        byPid.computeIfAbsent(pid, p -> new Entries()).deleteTo(toSeqNr);
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

    /**
     * Per-id entries in parallel primitive arrays (ascending, non-overlapping) to keep millions of records cheap.
     * Live entries are {@code [start, end)}.
     */
    private static final class Entries {
        private long highest;
        private long deletedTo;
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
            // A rewrite of sequence numbers already stored supersedes the older copies.
            while (end > start && lo[end - 1] >= first) {
                end--;
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
            highest = Math.max(highest, last);
        }

        synchronized void deleteTo(long to) {
            if (to <= deletedTo) {
                return;
            }
            deletedTo = to;
            // After old segments are gone, the marker alone carries the highest sequence number.
            highest = Math.max(highest, to);
            while (start < end && hi[start] <= to) {
                start++;
            }
            if (start == end) {
                start = 0;
                end = 0;
            }
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
