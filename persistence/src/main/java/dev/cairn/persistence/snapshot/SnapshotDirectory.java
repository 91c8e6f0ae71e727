package dev.cairn.persistence.snapshot;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of the snapshot store. A snapshot becomes visible under its final name only complete
 * and (fsync on) durable: it is written to a temp file, forced, atomically renamed and the
 * directory is forced. Thread-safe: every operation works on whole files.
 */
final class SnapshotDirectory {

  private static final Logger log = LoggerFactory.getLogger(SnapshotDirectory.class);

  /** Bytes handed to the channel in one write. */
  private static final int WRITE_SLICE = 1 << 20;

  /** A snapshot file on disk. */
  record Entry(Path path, String persistenceId, long sequenceNr, long timestamp) {}

  private final Path dir;
  private final boolean fsync;
  private final long minFreeSpace;
  private final FileStore store;
  private final Counter skipped;
  private volatile boolean skipping;

  SnapshotDirectory(Path dir, boolean fsync) throws IOException {
    this(dir, fsync, 0);
  }

  SnapshotDirectory(Path dir, boolean fsync, long minFreeSpace) throws IOException {
    this.dir = dir;
    this.fsync = fsync;
    this.minFreeSpace = minFreeSpace;
    Files.createDirectories(dir);
    this.store = Files.getFileStore(dir);
    this.skipped =
        Counter.builder("cairn.snapshot.skipped")
            .description("Snapshots not written because they would take the disk's last space")
            .tag("reason", "no_space")
            .register(Metrics.globalRegistry);
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith(SnapshotFile.TEMP_PREFIX) && n.endsWith(SnapshotFile.TEMP_SUFFIX)) {
          log.info("removing incomplete snapshot temp file {} left by an earlier crash", p);
          Files.deleteIfExists(p);
        }
      }
    }
  }

  Path dir() {
    return dir;
  }

  Path save(SnapshotFile.Content content) throws IOException {
    SnapshotFile.Encoded bytes = SnapshotFile.encode(content);
    long free = store.getUsableSpace();
    if (free - bytes.length() < minFreeSpace) {
      skipped.increment();
      if (!skipping) {
        skipping = true;
        log.warn(
            "snapshot store at {}: skipping snapshots: writing {} bytes would leave {} of the {} bytes"
                + " kept free (min-free-space) for the journal; recovery replays more events"
                + " meanwhile",
            dir.toAbsolutePath(),
            bytes.length(),
            free - bytes.length(),
            minFreeSpace);
      }
      throw new SnapshotSkippedException(
          "snapshot of "
              + content.persistenceId()
              + " at "
              + content.sequenceNr()
              + " skipped: "
              + free
              + " bytes free at "
              + dir.toAbsolutePath()
              + ", "
              + minFreeSpace
              + " kept free for the journal");
    }
    String encoded = SnapshotFile.encodePid(content.persistenceId());
    Path target =
        dir.resolve(
            new SnapshotFile.Name(encoded, content.sequenceNr(), content.timestamp()).fileName());
    Path temp =
        dir.resolve(SnapshotFile.TEMP_PREFIX + UUID.randomUUID() + SnapshotFile.TEMP_SUFFIX);
    try {
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        write(ch, bytes.head());
        write(ch, bytes.snapshot());
        write(ch, bytes.tail());
        if (fsync) {
          ch.force(true);
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    forceDirectory();
    if (skipping) {
      skipping = false;
      log.info(
          "snapshot store at {}: snapshots are written again ({} bytes free)",
          dir.toAbsolutePath(),
          store.getUsableSpace());
    }
    return target;
  }

  /**
   * Writes {@code bytes} a slice at a time: a channel copies a heap buffer into a temporary direct
   * buffer of its size, which the thread then keeps.
   */
  private static void write(FileChannel ch, byte[] bytes) throws IOException {
    for (int off = 0; off < bytes.length; ) {
      ByteBuffer b = ByteBuffer.wrap(bytes, off, Math.min(WRITE_SLICE, bytes.length - off));
      while (b.hasRemaining()) {
        off += ch.write(b);
      }
    }
  }

  /**
   * Snapshots of {@code persistenceId} (by file name) that satisfy {@code filter}, newest first.
   */
  List<Entry> list(String persistenceId, Predicate<Entry> filter) throws IOException {
    String encoded = SnapshotFile.encodePid(persistenceId);
    List<Entry> result = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        SnapshotFile.parse(p)
            .filter(n -> n.encodedPid().equals(encoded))
            .map(n -> new Entry(p, persistenceId, n.sequenceNr(), n.timestamp()))
            .filter(filter)
            .ifPresent(result::add);
      }
    }
    result.sort(
        Comparator.comparingLong(Entry::sequenceNr).thenComparingLong(Entry::timestamp).reversed());
    return result;
  }

  /**
   * Reads and verifies one snapshot file; throws if it is unreadable, damaged or not what its name
   * says.
   */
  SnapshotFile.Content read(Entry entry) throws IOException {
    SnapshotFile.Content c = SnapshotFile.decode(Files.readAllBytes(entry.path()));
    if (!c.persistenceId().equals(entry.persistenceId())
        || c.sequenceNr() != entry.sequenceNr()
        || c.timestamp() != entry.timestamp()) {
      throw new IOException(
          "content ("
              + c.persistenceId()
              + ", "
              + c.sequenceNr()
              + ", "
              + c.timestamp()
              + ") does not match the file name");
    }
    return c;
  }

  /** Deletes the given snapshot files; files already gone are fine. */
  void delete(List<Entry> entries) throws IOException {
    if (entries.isEmpty()) {
      return;
    }
    for (Entry e : entries) {
      try {
        Files.delete(e.path());
      } catch (NoSuchFileException gone) {
        // deleted concurrently: the outcome is the same
      }
    }
    forceDirectory();
  }

  private void forceDirectory() throws IOException {
    if (fsync) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    }
  }
}
