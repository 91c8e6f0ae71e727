package dev.cairn.persistence.journal;

import java.io.IOException;

/**
 * A write failed, or was refused at once, because the log cannot make writes durable now: out of
 * space ({@link JournalCondition.State#NO_SPACE}) or after an I/O error. Nothing of the write is
 * stored or visible. The log recovers by itself when it can write again.
 */
public final class JournalUnwritableException extends IOException {

  private final JournalCondition condition;

  public JournalUnwritableException(String journal, JournalCondition condition, Throwable cause) {
    super(
        condition.state() == JournalCondition.State.NO_SPACE
            ? "journal "
                + journal
                + " at "
                + condition.dir()
                + " has no space left ("
                + condition.freeBytes()
                + " bytes free); write not made durable"
            : "journal "
                + journal
                + " at "
                + condition.dir()
                + " is unavailable after a failed write ("
                + condition.reason()
                + "); write not made durable",
        cause);
    this.condition = condition;
  }

  public JournalCondition condition() {
    return condition;
  }

  /** True when the write failed for lack of space. */
  public boolean noSpace() {
    return condition.state() == JournalCondition.State.NO_SPACE;
  }
}
