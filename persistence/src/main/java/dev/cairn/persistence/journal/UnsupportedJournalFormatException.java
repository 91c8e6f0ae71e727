package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A segment was written in a format version this build cannot read (or is not a journal segment at
 * all).
 */
public final class UnsupportedJournalFormatException extends IOException {

  public UnsupportedJournalFormatException(Path file, String reason) {
    super("journal segment " + file + ": " + reason);
  }
}
