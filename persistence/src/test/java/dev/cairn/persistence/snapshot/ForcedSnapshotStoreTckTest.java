package dev.cairn.persistence.snapshot;

import dev.cairn.persistence.TckConfig;
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
    super(TckConfig.forPlugin("snapshot-store", DIR));
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
