package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The leader contract on the real embedded journal, forcing every batch to disk. */
class EmbeddedJournalLeaderTest extends NamespaceLeaderContract {
  @Override
  Config journalConfig() {
    Path dir;
    try {
      dir = Files.createTempDirectory("cairn-leader");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ConfigFactory.parseString(
        "pekko.persistence.journal.plugin = \"cairn.persistence.journal\"\n"
            + "pekko.persistence.snapshot-store.plugin = \"cairn.persistence.snapshot-store\"\n"
            + "cairn.persistence.journal.dir = \""
            + dir.resolve("journal")
            + "\"\n"
            + "cairn.persistence.snapshot-store.dir = \""
            + dir.resolve("snapshots")
            + "\"\n");
  }
}
