package dev.cairn.persistence.snapshot;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.cairn.persistence.TestDirs;
import java.nio.file.Path;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.runner.RunWith;
import org.scalatestplus.junit.JUnitRunner;

/** The Pekko Persistence snapshot store TCK against {@link ForcedSnapshotStore}, with fsync on. */
@RunWith(JUnitRunner.class)
public class ForcedSnapshotStoreTckTest extends JavaSnapshotStoreSpec {

  private static final Path DIR = TestDirs.create("snapshot-tck");

  public ForcedSnapshotStoreTckTest() {
    super(tckConfig());
  }

  private static Config tckConfig() {
    return ConfigFactory.parseString(
            """
                        pekko.persistence.snapshot-store.plugin = "cairn.persistence.snapshot-store"
                        # the machine is shared: give the TCK's 3 s expectations room under load
                        pekko.test.timefactor = 5
                        """)
        .withValue(
            "cairn.persistence.snapshot-store.dir", ConfigValueFactory.fromAnyRef(DIR.toString()))
        .withValue("cairn.persistence.snapshot-store.fsync", ConfigValueFactory.fromAnyRef(true))
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
