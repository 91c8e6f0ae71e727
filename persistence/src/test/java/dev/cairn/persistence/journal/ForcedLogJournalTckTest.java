package dev.cairn.persistence.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
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
    super(tckConfig());
  }

  private static Config tckConfig() {
    return ConfigFactory.parseString(
            """
                        pekko.persistence.journal.plugin = "cairn.persistence.journal"
                        # the machine is shared: give the TCK's 3 s expectations room under load
                        pekko.test.timefactor = 5
                        """)
        .withValue("cairn.persistence.journal.dir", ConfigValueFactory.fromAnyRef(DIR.toString()))
        .withValue("cairn.persistence.journal.fsync", ConfigValueFactory.fromAnyRef(true))
        .withFallback(ConfigFactory.load());
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
