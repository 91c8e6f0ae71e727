package dev.cairn.client;

/**
 * The revision asked for is older than the namespace's compaction point: a read at that revision,
 * or a watch whose start (or resume point after a dropped connection) was compacted. A watch ends
 * with it rather than skip the changes it can no longer deliver; {@link #compactRevision()} is the
 * oldest revision still available.
 */
public final class CompactedException extends ProblemException {
  private final long compactRevision;

  CompactedException(String detail, long compactRevision, long revision) {
    super(410, "compacted", detail, revision, null);
    this.compactRevision = compactRevision;
  }

  /** The compaction point: the oldest revision a read or watch may still start from. */
  public long compactRevision() {
    return compactRevision;
  }
}
