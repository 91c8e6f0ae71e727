package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.DeleteSnapshotSuccess;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On the real Cassandra: a snapshot far larger than a CQL message (40 MB, where Cassandra refuses
 * any message above about 13.4 MB) is saved in chunks and loaded back byte for byte; a snapshot
 * whose header was never written (a save interrupted after some chunks) is not loaded, the older
 * complete one is; a delete removes the chunks with the header.
 */
@ExtendWith(CassandraExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CassandraSnapshotChunksTest {
  private static final String PLUGIN = "cairn.persistence.cassandra-snapshot-store";
  private static final Duration T = Duration.ofMinutes(2);

  static ActorSystem system;
  static ActorRef store;
  static CassandraSnapshotSettings settings;

  @BeforeAll
  static void start() {
    String keyspace = CassandraTestConfig.freshKeyspace("snapchunks");
    Config config =
        CassandraTestConfig.journal(keyspace)
            .withValue(
                PLUGIN + ".contact-points",
                ConfigValueFactory.fromIterable(List.of(TestCassandra.contactPoint())))
            .withValue(PLUGIN + ".keyspace", ConfigValueFactory.fromAnyRef(keyspace));
    settings = CassandraSnapshotSettings.fromConfig(config.getConfig(PLUGIN));
    system = ActorSystem.create("snapshot-chunks", config);
    store = Persistence.get(system).snapshotStoreFor(PLUGIN, config);
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void save(String pid, long seqNr, byte[] snapshot) {
    TestKit probe = new TestKit(system);
    store.tell(
        new SnapshotProtocol.SaveSnapshot(new SnapshotMetadata(pid, seqNr, 1000 + seqNr), snapshot),
        probe.getRef());
    probe.expectMsgClass(T, SaveSnapshotSuccess.class);
  }

  private static SelectedSnapshot loadNewest(String pid) {
    TestKit probe = new TestKit(system);
    store.tell(
        new SnapshotProtocol.LoadSnapshot(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE),
        probe.getRef());
    SnapshotProtocol.LoadSnapshotResult r =
        probe.expectMsgClass(T, SnapshotProtocol.LoadSnapshotResult.class);
    return r.snapshot().isDefined() ? r.snapshot().get() : null;
  }

  private static CqlSession cql() {
    DriverConfigLoader loader = CassandraJournal.driverConfig(settings.asJournalSettings()).build();
    return CassandraJournal.session(settings.asJournalSettings(), loader);
  }

  @Test
  void aSnapshotOfFortyMegabytesIsSavedInChunksAndLoadedBack() {
    byte[] big = random(40 * 1000 * 1000, 42);
    long t0 = System.nanoTime();
    save("big", 7, big);
    long saved = System.nanoTime();
    SelectedSnapshot loaded = loadNewest("big");
    long read = System.nanoTime();
    System.out.printf(
        "40 MB snapshot: saved in %d ms, loaded in %d ms%n",
        (saved - t0) / 1_000_000, (read - saved) / 1_000_000);
    assertThat(loaded).isNotNull();
    assertThat(loaded.metadata().sequenceNr()).isEqualTo(7);
    assertThat(loaded.snapshot()).isInstanceOf(byte[].class);
    assertThat((byte[]) loaded.snapshot()).isEqualTo(big);
    try (CqlSession s = cql()) {
      long rows =
          s.execute(
                  "SELECT count(*) FROM snapshot_chunks WHERE persistence_id = 'big' AND"
                      + " sequence_nr = 7")
              .one()
              .getLong(0);
      assertThat(rows).isEqualTo((big.length + settings.chunkSize() - 1) / settings.chunkSize());
    }
  }

  @Test
  void aSnapshotWithoutItsHeaderIsNeverLoadedAndADeleteRemovesItsChunks() {
    byte[] complete = random(3 * 1024 * 1024 + 17, 1);
    save("half", 10, complete);
    try (CqlSession s = cql()) {
      // A save of sequence number 20 that stopped after two of its chunks.
      for (int chunk = 0; chunk < 2; chunk++) {
        s.execute(
            s.prepare(
                    "INSERT INTO snapshot_chunks (persistence_id, sequence_nr, chunk, data)"
                        + " VALUES ('half', 20, ?, ?)")
                .bind(chunk, ByteBuffer.wrap(random(1024, chunk))));
      }
      SelectedSnapshot loaded = loadNewest("half");
      assertThat(loaded.metadata().sequenceNr()).isEqualTo(10);
      assertThat((byte[]) loaded.snapshot()).isEqualTo(complete);

      TestKit probe = new TestKit(system);
      store.tell(
          new SnapshotProtocol.DeleteSnapshot(new SnapshotMetadata("half", 10, 0)), probe.getRef());
      probe.expectMsgClass(T, DeleteSnapshotSuccess.class);
      assertThat(loadNewest("half")).isNull();
      long rows =
          s.execute(
                  "SELECT count(*) FROM snapshot_chunks WHERE persistence_id = 'half' AND"
                      + " sequence_nr = 10")
              .one()
              .getLong(0);
      assertThat(rows).isZero();
    }
  }
}
