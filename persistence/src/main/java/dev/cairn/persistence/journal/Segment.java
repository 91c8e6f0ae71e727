package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One segment file of the log. Only the writer thread appends (and tracks {@link #size}); replay
 * threads read concurrently with positional reads, which FileChannel allows.
 */
final class Segment implements AutoCloseable {

  private static final Pattern NAME = Pattern.compile("wal-(\\d{16})\\.seg");

  final long index;
  final Path path;
  final FileChannel channel;

  /**
   * How far the writer extends the file ahead of its logical end. A forced write within the file's
   * length costs the disk less than one that grows the file, whose new length must be made durable
   * with the data: on ext4 here, 150 µs against 210 µs for a 256-byte write and {@code fdatasync}.
   * The file is extended by writing its last byte, so the space is not reserved (a full disk fails
   * a write as before) and the extension reads as zeros, which recovery takes for the end of the
   * log.
   */
  static final long PAD = 4L << 20;

  /** Logical end of the segment: bytes written so far. Written by the writer thread only. */
  long size;

  /** The file's length as this process extended it; {@link #size} when it did not. */
  private long allocated;

  private Segment(long index, Path path, FileChannel channel, long size) {
    this.index = index;
    this.path = path;
    this.channel = channel;
    this.size = size;
    this.allocated = size;
  }

  static String fileName(long index) {
    return String.format("wal-%016d.seg", index);
  }

  /** Segment files in {@code dir}, ordered by index. */
  static List<Path> list(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).forEach(files::add);
    }
    files.sort(null);
    return files;
  }

  static long indexOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a segment file name: " + file);
    }
    return Long.parseLong(m.group(1));
  }

  /** Opens an existing segment without checking its contents; recovery reads and validates it. */
  static Segment open(Path file, boolean writable) throws IOException {
    FileChannel ch =
        writable
            ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : FileChannel.open(file, StandardOpenOption.READ);
    return new Segment(indexOf(file), file, ch, ch.size());
  }

  /**
   * Creates segment {@code index} with its header, or reuses it if it already exists with a valid
   * header or an incomplete one (a crash during creation). Forces the file and the directory entry.
   */
  static Segment create(Path dir, long index) throws IOException {
    Path file = dir.resolve(fileName(index));
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = ch.size();
      if (size >= LogFormat.SEGMENT_HEADER_SIZE) {
        checkHeader(file, ch, index);
      } else {
        ch.truncate(0);
        ByteBuffer header = LogFormat.segmentHeader(index);
        while (header.hasRemaining()) {
          ch.write(header, header.position());
        }
        ch.force(true);
        size = LogFormat.SEGMENT_HEADER_SIZE;
      }
      forceDirectory(dir);
      return new Segment(index, file, ch, size);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Validates magic, version and index of a segment header. */
  static void checkHeader(Path file, FileChannel ch, long expectedIndex) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(LogFormat.SEGMENT_HEADER_SIZE);
    readFully(ch, b, 0);
    b.flip();
    int magic = b.getInt();
    int version = b.getInt();
    long index = b.getLong();
    if (magic != LogFormat.MAGIC) {
      throw new UnsupportedJournalFormatException(
          file, String.format("bad magic 0x%08x, not a Cairn journal segment", magic));
    }
    if (version != LogFormat.VERSION) {
      throw new UnsupportedJournalFormatException(
          file,
          "unsupported journal format version "
              + version
              + " (this build reads version "
              + LogFormat.VERSION
              + ")");
    }
    if (index != expectedIndex) {
      throw new JournalCorruptedException(
          file, 8, "header names segment " + index + " but the file name says " + expectedIndex);
    }
  }

  static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long pos = position;
    while (b.hasRemaining()) {
      int n = ch.read(b, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at " + pos);
      }
      pos += n;
    }
  }

  /**
   * Appends {@code b} at the logical end, first extending the file by up to {@link #PAD} (but not
   * past {@code limit}, the segment size) when it would grow. Writer thread only.
   */
  void append(ByteBuffer b, long limit) throws IOException {
    long need = size + b.remaining();
    if (need > allocated) {
      long target = Math.max(need, Math.min(size + PAD, limit));
      if (target > need) {
        channel.write(ByteBuffer.wrap(new byte[1]), target - 1);
      }
      allocated = target;
    }
    while (b.hasRemaining()) {
      size += channel.write(b, size);
    }
  }

  /** Recovery found the log's end at {@code end}: what follows is not the segment's. */
  void recovered(long end) {
    size = end;
    allocated = end;
  }

  /** Truncates the file to {@code length}, dropping any extension. Writer thread only. */
  void truncate(long length) throws IOException {
    channel.truncate(length);
    size = length;
    allocated = length;
  }

  /**
   * Cuts the extension ahead of the logical end away and forces the file: a segment that is sealed,
   * or the active one when the writer stops, ends where its last record does. Writer thread only.
   */
  void trim() throws IOException {
    if (allocated > size) {
      channel.truncate(size);
      channel.force(true);
      allocated = size;
    }
  }

  /** Makes a new or removed directory entry durable (Linux: fsync on the directory). */
  static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
