package dev.cairn.persistence.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Another process (or another open journal in this process) holds the journal directory's LOCK
 * file.
 */
public final class JournalLockedException extends IOException {

  public JournalLockedException(Path dir, String detail) {
    super("journal directory " + dir + " is locked by " + detail);
  }
}
