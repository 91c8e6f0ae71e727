package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The journal found damage it must not repair on its own: a bad record before the tail of the log,
 * or a damaged sealed segment. Startup stops so that no acknowledged event is silently dropped.
 */
public final class JournalCorruptedException extends IOException {

  private final Path file;
  private final long offset;

  public JournalCorruptedException(Path file, long offset, String reason) {
    super(
        "journal segment "
            + file
            + " is corrupt at offset "
            + offset
            + ": "
            + reason
            + "; refusing to start. Restore the directory from a backup or a healthy replica.");
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
