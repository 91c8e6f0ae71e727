package dev.cairn.persistence.cassandra;

import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/** The Pekko Persistence journal TCK against {@link CassandraJournal} on a real Cassandra. */
@RunWith(JUnitRunner.class)
public class CassandraJournalTckTest extends JavaJournalSpec {

  public CassandraJournalTckTest() {
    super(CassandraTestConfig.journalWithSchema(CassandraTestConfig.freshKeyspace("tck")));
  }

  /**
   * Off on purpose, as for the embedded journal: that optional case expects the write after a
   * rejected one to be stored, i.e. a gap; this journal rejects it too.
   */
  @Override
  public CapabilityFlag supportsRejectingNonSerializableObjects() {
    return CapabilityFlag.off();
  }

  @Override
  public CapabilityFlag supportsMetadata() {
    return CapabilityFlag.on();
  }
}
