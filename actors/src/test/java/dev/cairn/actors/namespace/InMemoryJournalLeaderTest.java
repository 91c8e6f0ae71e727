package dev.cairn.actors.namespace;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** The leader contract on Pekko's in-memory journal (tests the actor, not the disk). */
class InMemoryJournalLeaderTest extends NamespaceLeaderContract {
  @Override
  Config journalConfig() {
    return ConfigFactory.parseString(
        "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
            + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"\n"
            + "pekko.persistence.snapshot-store.local.dir = \"target/snapshots-"
            + System.nanoTime()
            + "\"\n");
  }
}
