package dev.cairn.persistence.snapshot;

import java.io.IOException;

/**
 * A snapshot was not written because it would have left less than {@code min-free-space} free: the
 * space is kept for the journal. Nothing is lost; recovery replays more events until a later
 * snapshot succeeds.
 */
public final class SnapshotSkippedException extends IOException {
  public SnapshotSkippedException(String message) {
    super(message);
  }
}
