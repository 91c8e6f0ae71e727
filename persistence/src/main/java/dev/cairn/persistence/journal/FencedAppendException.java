package dev.cairn.persistence.journal;

/**
 * An append was refused because it does not continue its persistence id exactly after the highest
 * stored sequence number: either its first sequence number is taken (another writer of the same id
 * got there first; the appender is a stale writer and must stop and recover) or it would leave a
 * gap. Nothing of the refused append was written.
 */
public final class FencedAppendException extends IllegalStateException {

  private final String persistenceId;
  private final long firstSequenceNr;
  private final long highestStored;

  public FencedAppendException(String persistenceId, long firstSequenceNr, long highestStored) {
    super(
        (firstSequenceNr <= highestStored
                ? "sequence number " + firstSequenceNr + " of " + persistenceId + " is taken"
                : "sequence number "
                    + firstSequenceNr
                    + " of "
                    + persistenceId
                    + " would leave a gap")
            + " (highest stored is "
            + highestStored
            + "); append refused, nothing written");
    this.persistenceId = persistenceId;
    this.firstSequenceNr = firstSequenceNr;
    this.highestStored = highestStored;
  }

  public String persistenceId() {
    return persistenceId;
  }

  public long firstSequenceNr() {
    return firstSequenceNr;
  }

  /** The highest sequence number stored for the id when the append was refused. */
  public long highestStored() {
    return highestStored;
  }

  /** True when another writer took the sequence number (as opposed to a gap). */
  public boolean taken() {
    return firstSequenceNr <= highestStored;
  }
}
