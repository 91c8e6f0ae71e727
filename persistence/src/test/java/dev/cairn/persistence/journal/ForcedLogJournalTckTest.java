package dev.cairn.persistence.journal;

import dev.cairn.persistence.TckConfig;
import dev.cairn.persistence.TestDirs;
import java.nio.file.Path;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/** The Pekko Persistence journal TCK against {@link ForcedLogJournal}, with fsync on. */
@RunWith(JUnitRunner.class)
public class ForcedLogJournalTckTest extends JavaJournalSpec {

  private static final Path DIR = TestDirs.create("journal-tck");

  public ForcedLogJournalTckTest() {
    super(TckConfig.forPlugin("journal", DIR));
  }

  /**
   * Off on purpose: that optional case writes 6, 7 (not serializable), 8 in one call and expects 8
   * to be stored after 7 was rejected, i.e. a gap. This journal rejects 8 too (see {@link
   * ForcedLogJournal}); {@code ForcedLogJournalTest} checks that contract instead.
   */
  @Override
  public CapabilityFlag supportsRejectingNonSerializableObjects() {
    return CapabilityFlag.off();
  }

  @Override
  public CapabilityFlag supportsMetadata() {
    return CapabilityFlag.on();
  }

  @Override
  public void afterAll() {
    super.afterAll();
    TestDirs.delete(DIR);
  }
}
