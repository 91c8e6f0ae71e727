package dev.cairn.persistence.journal;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Whether a {@link ForcedLog} can make writes durable now, and if not, why.
 *
 * @param state {@link State#WRITABLE}, or why writes fail at once
 * @param dir the journal directory
 * @param freeBytes bytes free for this process on the directory's filesystem when last checked (-1
 *     if unknown)
 * @param reason what failed, empty while writable
 * @param since when the log entered this state
 */
public record JournalCondition(
    State state, Path dir, long freeBytes, String reason, Instant since) {

  /** The states of a log; each change is logged once. */
  public enum State {
    /** Writes are made durable. */
    WRITABLE,
    /**
     * A write failed for lack of space; writes fail at once until enough is free again, then the
     * log re-reads its files and writes resume.
     */
    NO_SPACE,
    /** A write or force failed otherwise (an I/O error); the log retries reopening itself. */
    FAILED
  }

  public boolean writable() {
    return state == State.WRITABLE;
  }

  JournalCondition withFreeBytes(long free) {
    return new JournalCondition(state, dir, free, reason, since);
  }

  /** One line for operators and problem details. */
  public String describe() {
    return switch (state) {
      case WRITABLE -> "journal at " + dir + " is writable (" + freeBytes + " bytes free)";
      case NO_SPACE ->
          "journal at "
              + dir
              + " has no space left ("
              + freeBytes
              + " bytes free) since "
              + since
              + "; writes resume by themselves once space is freed";
      case FAILED ->
          "journal at " + dir + " cannot write since " + since + " (" + reason + "); retrying";
    };
  }
}
