package dev.cairn.persistence.journal;

import java.io.IOException;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The open segments of a log, by index, and the index of their records, as recovery rebuilt them
 * and the writer keeps them. Replays read both concurrently with the writer.
 */
record LogFiles(ConcurrentSkipListMap<Long, Segment> segments, LogIndex index) {

  /** The segment appends go to: the newest one. */
  Segment active() {
    return segments.lastEntry().getValue();
  }

  /** Closes every segment; throws the first failure after trying them all. */
  void close() throws IOException {
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
}
