package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery of a log directory: opens and scans every segment, rebuilds the {@link LogIndex} from
 * what is on disk, truncates a torn record at the very end of the last segment (a crash mid-write,
 * never acknowledged) with a WARN, and fails with {@link JournalCorruptedException} naming file and
 * offset on any other damage. Logs under {@link ForcedLog}'s name.
 */
final class LogRecovery {

  private static final Logger log = LoggerFactory.getLogger(ForcedLog.class);

  private final Path dir;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final LogIndex index = new LogIndex();

  private LogRecovery(Path dir) {
    this.dir = dir;
  }

  /**
   * Recovers the segments in {@code dir}, creating the first one if there is none. On failure every
   * segment opened so far is closed again.
   */
  static LogFiles recover(Path dir) throws IOException {
    LogRecovery r = new LogRecovery(dir);
    LogFiles files = new LogFiles(r.segments, r.index);
    try {
      r.run();
    } catch (IOException | RuntimeException e) {
      try {
        files.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return files;
  }

  private void run() throws IOException {
    List<Path> files = Segment.list(dir);
    long expected = -1;
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      boolean last = i == files.size() - 1;
      long idx = Segment.indexOf(file);
      if (expected != -1 && idx != expected) {
        throw new JournalCorruptedException(
            dir.resolve(Segment.fileName(expected)),
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
      Segment first = Segment.create(dir, 1);
      segments.put(first.index, first);
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
      segments.put(seg.index, Segment.create(dir, seg.index));
      return;
    }
    Segment.checkHeader(seg.path, seg.channel, seg.index);
    Window window = new Window(seg.channel, size);
    long pos = LogFormat.SEGMENT_HEADER_SIZE;
    while (pos < size) {
      if (zeroAt(window, pos, size) && zeros(seg.channel, pos, size)) {
        // The writer extends a segment ahead of its records; a process that stopped without
        // closing its log leaves that extension, all zeros: the log ends here.
        log.debug(
            "journal segment {}: {} zero byte(s) after the last record at offset {}",
            seg.path,
            size - pos,
            pos);
        if (last) {
          seg.truncate(pos);
          seg.channel.force(true);
        }
        size = pos;
        break;
      }
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
        seg.truncate(pos);
        seg.channel.force(true);
        size = pos;
        break;
      }
      throw new JournalCorruptedException(
          seg.path,
          pos,
          damage + (last ? ", and valid records follow it" : " in a sealed (non-last) segment"));
    }
    seg.recovered(size);
  }

  /** Whether the next frame header's bytes (those there are) at {@code pos} are all zero. */
  private static boolean zeroAt(Window window, long pos, long size) throws IOException {
    int n = (int) Math.min(LogFormat.FRAME_HEADER_SIZE, size - pos);
    int off = window.load(pos, n);
    for (int i = 0; i < n; i++) {
      if (window.buf[off + i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code [from, size)} of {@code ch} holds only zero bytes (and is not empty). */
  private static boolean zeros(FileChannel ch, long from, long size) throws IOException {
    if (from >= size) {
      return false;
    }
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(1 << 20, size - from));
    for (long pos = from; pos < size; ) {
      b.clear().limit((int) Math.min(b.capacity(), size - pos));
      Segment.readFully(ch, b, pos);
      byte[] a = b.array();
      for (int i = 0; i < b.limit(); i++) {
        if (a[i] != 0) {
          return false;
        }
      }
      pos += b.limit();
    }
    return true;
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
}
