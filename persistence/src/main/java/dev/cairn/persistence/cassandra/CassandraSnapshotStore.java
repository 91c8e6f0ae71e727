package dev.cairn.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;

/**
 * Pekko Persistence snapshot store plugin on Cassandra, beside the fenced {@link CassandraJournal}
 * in the same keyspace. A snapshot is an optimisation of recovery (the journal is the truth), so it
 * needs no fencing: two writers of one persistence id and sequence number write the same state.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>One row per snapshot, {@code PRIMARY KEY (persistence_id, sequence_nr)}: saving the same
 *       persistence id and sequence number again replaces the earlier snapshot.
 *   <li>Load returns the newest snapshot (highest sequence number) matching the criteria; one that
 *       cannot be deserialized is skipped with a WARN and the next older one is tried, up to {@code
 *       max-load-attempts}; if every attempt fails, the load fails.
 *   <li>Delete by metadata removes the snapshot with that sequence number (if its timestamp
 *       matches, unless it is 0); delete by criteria removes every matching snapshot.
 *   <li>The payload is stored with Pekko serialization (serializer id, manifest, bytes); snapshot
 *       metadata ({@code SnapshotMetadata.metadata}) is not stored.
 *   <li>Reads and writes at QUORUM; operations block the plugin dispatcher's threads on the driver.
 * </ul>
 *
 * <p>The keyspace and table are created at actor start when missing (see {@link #createSchema}).
 */
public final class CassandraSnapshotStore extends SnapshotStore {

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final CassandraSnapshotSettings settings;
  private final DriverConfigLoader configLoader;
  private final CqlSession session;
  private final PreparedStatement insert;
  private final PreparedStatement selectCandidates;
  private final PreparedStatement selectOne;
  private final PreparedStatement delete;

  public CassandraSnapshotStore(Config config) {
    this.settings = CassandraSnapshotSettings.fromConfig(config);
    createSchema(settings);
    this.configLoader = CassandraJournal.driverConfig(settings.asJournalSettings()).build();
    this.session = CassandraJournal.session(settings.asJournalSettings(), configLoader);
    this.insert =
        session.prepare(
            "INSERT INTO snapshots (persistence_id, sequence_nr, timestamp, ser_id, ser_manifest,"
                + " snapshot) VALUES (?, ?, ?, ?, ?, ?)");
    this.selectCandidates =
        session.prepare(
            "SELECT sequence_nr, timestamp FROM snapshots WHERE persistence_id = ? AND"
                + " sequence_nr >= ? AND sequence_nr <= ?");
    this.selectOne =
        session.prepare(
            "SELECT timestamp, ser_id, ser_manifest, snapshot FROM snapshots WHERE"
                + " persistence_id = ? AND sequence_nr = ?");
    this.delete =
        session.prepare("DELETE FROM snapshots WHERE persistence_id = ? AND sequence_nr = ?");
  }

  /** The CQL statements of the snapshot store's schema, in order. */
  public static List<String> statements(CassandraSnapshotSettings settings) {
    String ks = settings.keyspace();
    return List.of(
        JournalSchema.statements(settings.asJournalSettings()).get(0),
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".snapshots (persistence_id text, sequence_nr bigint, timestamp bigint, ser_id int,"
            + " ser_manifest text, snapshot blob, PRIMARY KEY (persistence_id, sequence_nr))"
            + " WITH CLUSTERING ORDER BY (sequence_nr DESC)"
            + " AND compaction = {'class': 'SizeTieredCompactionStrategy'}");
  }

  /** Creates the keyspace and table when missing; blocks until Cassandra has applied them. */
  public static void createSchema(CassandraSnapshotSettings settings) {
    try (DriverConfigLoader loader =
            CassandraJournal.driverConfig(settings.asJournalSettings())
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, settings.ddlTimeout())
                .build();
        CqlSession ddl =
            CqlSession.builder()
                .addContactPoints(settings.contactPoints())
                .withLocalDatacenter(settings.localDatacenter())
                .withConfigLoader(loader)
                .build()) {
      for (String statement : statements(settings)) {
        ddl.execute(statement);
      }
    }
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(() -> load(persistenceId, criteria), context().dispatcher());
  }

  private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria c) {
    int attempts = 0;
    Exception last = null;
    for (long seqNr : matching(persistenceId, c)) {
      Row row = session.execute(selectOne.bind(persistenceId, seqNr)).one();
      if (row == null) {
        continue; // deleted meanwhile
      }
      attempts++;
      try {
        ByteBuffer blob = row.getByteBuffer("snapshot");
        byte[] bytes = new byte[blob.remaining()];
        blob.get(bytes);
        Object snapshot =
            serialization
                .deserialize(bytes, row.getInt("ser_id"), row.getString("ser_manifest"))
                .get();
        return Optional.of(
            SelectedSnapshot.create(
                new SnapshotMetadata(persistenceId, seqNr, row.getLong("timestamp")), snapshot));
      } catch (Exception e) {
        last = e;
        log.warning(
            "skipping unreadable snapshot of [{}] at seqNr {}: {}", persistenceId, seqNr, e);
        if (attempts >= settings.maxLoadAttempts()) {
          break;
        }
      }
    }
    if (last != null) {
      throw new IllegalStateException(
          "no readable snapshot of " + persistenceId + " in " + attempts + " attempts", last);
    }
    return Optional.empty();
  }

  /** Sequence numbers of the snapshots matching {@code c}, newest first. */
  private List<Long> matching(String persistenceId, SnapshotSelectionCriteria c) {
    List<Long> out = new ArrayList<>();
    for (Row row :
        session.execute(
            selectCandidates.bind(persistenceId, c.minSequenceNr(), c.maxSequenceNr()))) {
      long ts = row.getLong("timestamp");
      if (ts >= c.minTimestamp() && ts <= c.maxTimestamp()) {
        out.add(row.getLong("sequence_nr"));
      }
    }
    return out; // the clustering order is sequence_nr DESC
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    return Futures.future(
        () -> {
          Serializer serializer = serialization.findSerializerFor(snapshot);
          // Through Serialization, which sets the transport information an ActorRef inside needs.
          byte[] bytes = serialization.serialize(snapshot).get();
          session.execute(
              insert.bind(
                  metadata.persistenceId(),
                  metadata.sequenceNr(),
                  metadata.timestamp(),
                  serializer.identifier(),
                  Serializers.manifestFor(serializer, snapshot),
                  ByteBuffer.wrap(bytes)));
          return null;
        },
        context().dispatcher());
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return Futures.future(
        () -> {
          String pid = metadata.persistenceId();
          Row row = session.execute(selectOne.bind(pid, metadata.sequenceNr())).one();
          if (row != null
              && (metadata.timestamp() == 0 || row.getLong("timestamp") == metadata.timestamp())) {
            session.execute(delete.bind(pid, metadata.sequenceNr()));
          }
          return null;
        },
        context().dispatcher());
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(
        () -> {
          for (long seqNr : matching(persistenceId, criteria)) {
            session.execute(delete.bind(persistenceId, seqNr));
          }
          return null;
        },
        context().dispatcher());
  }

  @Override
  public void postStop() throws Exception {
    try {
      session.close();
      configLoader.close();
    } finally {
      super.postStop();
    }
  }
}
