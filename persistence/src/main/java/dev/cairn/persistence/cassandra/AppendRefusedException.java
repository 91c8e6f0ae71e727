package dev.cairn.persistence.cassandra;

/**
 * A conditional append was refused by Cassandra: at least one of the sequence numbers {@code
 * first..last} of {@code persistenceId} is already taken, so another writer got there first and the
 * appender is stale. Nothing of the refused batch was written; the journal fails the whole write,
 * so the persistent actor stops (and recovers what the other writer stored).
 */
public final class AppendRefusedException extends IllegalStateException {

  private final String persistenceId;
  private final long firstSequenceNr;
  private final long lastSequenceNr;

  public AppendRefusedException(String persistenceId, long firstSequenceNr, long lastSequenceNr) {
    super(
        "append of sequence numbers "
            + firstSequenceNr
            + ".."
            + lastSequenceNr
            + " of "
            + persistenceId
            + " refused: a sequence number is taken by another writer; nothing of it written");
    this.persistenceId = persistenceId;
    this.firstSequenceNr = firstSequenceNr;
    this.lastSequenceNr = lastSequenceNr;
  }

  public String persistenceId() {
    return persistenceId;
  }

  public long firstSequenceNr() {
    return firstSequenceNr;
  }

  public long lastSequenceNr() {
    return lastSequenceNr;
  }
}
