package dev.cairn.persistence.barrier;

/**
 * A question a journal plugin actor answers for read barriers: which is the newest stored event of
 * a persistence id, and which writer (persistent actor incarnation) stored it? Sent as {@link
 * Probe}; answered with {@link Found}, or {@link org.apache.pekko.actor.Status.Failure} when the
 * store cannot answer. Only journals that can have a second writer need to answer it (the fenced
 * Cassandra journal); the embedded journal's directory lock rules out a second writer.
 *
 * <p>The answer is read at the journal's quorum after the probe arrives, so it reflects every
 * append acknowledged to any writer before then.
 */
public final class LastWrite {
  private LastWrite() {}

  /** Asks for the newest event of {@code persistenceId} at or after {@code fromSequenceNr}. */
  public record Probe(String persistenceId, long fromSequenceNr)
      implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /**
   * The newest stored event: its sequence number (0 when there is none) and the writer uuid its
   * writer stamped on it ({@code ""} when there is none).
   */
  public record Found(long sequenceNr, String writerUuid)
      implements org.apache.pekko.actor.NoSerializationVerificationNeeded {}
}
