package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the oldest segments that hold no live event any more (all deleted or superseded).
 * Counters those segments alone carried are first written again (STATE records) and forced, so the
 * highest sequence numbers and deleted-to marks survive. Segments go oldest first, so a crash
 * midway leaves a contiguous log. Runs on the writer thread after a segment roll. Logs under {@link
 * ForcedLog}'s name.
 */
final class SegmentReclaimer {

  private static final Logger log = LoggerFactory.getLogger(ForcedLog.class);

  private final JournalSettings settings;
  private final GroupWriter writer;
  private final AtomicLong reclaimed = new AtomicLong();

  SegmentReclaimer(JournalSettings settings, GroupWriter writer) {
    this.settings = settings;
    this.writer = writer;
  }

  /** Segments removed since open; any thread. */
  long reclaimed() {
    return reclaimed.get();
  }

  /** Reclaims what it can of {@code files} below {@code activeIndex}, the segment appended to. */
  void reclaim(LogFiles files, long activeIndex) throws IOException {
    LogIndex index = files.index();
    long lastDead = -1;
    for (Segment s : files.segments().headMap(activeIndex).values()) {
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
      writer.put(LogFormat.encodeState(c.persistenceId(), c.deletedTo(), c.highest()));
      carriedTo.add(writer.activeIndex());
    }
    writer.flushAndForce();
    for (int i = 0; i < carried.size(); i++) {
      LogIndex.Counters c = carried.get(i);
      index.restore(c.persistenceId(), c.deletedTo(), c.highest(), carriedTo.get(i));
    }
    List<Segment> dead = new ArrayList<>(files.segments().headMap(lastDead, true).values());
    for (Segment s : dead) {
      files.segments().remove(s.index);
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
}
