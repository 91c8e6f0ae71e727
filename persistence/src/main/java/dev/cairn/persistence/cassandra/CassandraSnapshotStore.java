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
import java.util.zip.CRC32C;
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
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;

/**
 * Pekko Persistence snapshot store plugin on Cassandra, beside the fenced {@link CassandraJournal}
 * in the same keyspace. A snapshot is an optimisation of recovery (the journal is the truth), so it
 * needs no fencing: two writers of one persistence id and sequence number write the same state.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>A snapshot is stored in pieces of at most {@code chunk-size} bytes, one row each in table
 *       {@code snapshot_chunks}, whose partition is the snapshot ({@code (persistence_id,
 *       sequence_nr)}, clustering {@code chunk}); so no CQL message grows with the snapshot (a
 *       message above Cassandra's native frame, 16 MiB by default, is refused whatever its
 *       timeout). Its header (timestamp, serializer, chunk count, size, CRC32C of the bytes) is one
 *       row of {@code snapshot_index}, {@code PRIMARY KEY (persistence_id, sequence_nr)}, written
 *       after every chunk has been acknowledged: a snapshot without its header does not exist, so a
 *       save interrupted half way (a crash, an outage) is never loaded. Saving the same persistence
 *       id and sequence number again replaces the earlier snapshot (chunks, then header).
 *   <li>Load returns the newest snapshot (highest sequence number) matching the criteria whose
 *       chunks are all there and match the header's size and checksum; one that is incomplete or
 *       cannot be deserialized is skipped with a WARN and the next older one is tried, up to {@code
 *       max-load-attempts}; if every attempt fails, the load fails.
 *   <li>Delete by metadata removes the snapshot with that sequence number (if its timestamp
 *       matches, unless it is 0); delete by criteria removes every matching snapshot. The header
 *       goes first (the snapshot no longer exists), then the chunks' partition, in one deletion.
 *   <li>The payload is stored with Pekko serialization (serializer id, manifest, bytes); snapshot
 *       metadata ({@code SnapshotMetadata.metadata}) is not stored.
 *   <li>Reads and writes at QUORUM; operations block the plugin dispatcher's threads on the driver.
 * </ul>
 *
 * <p>The keyspace and tables are created at actor start when missing (see {@link #createSchema}).
 * The table {@code snapshots} of earlier versions (one row per snapshot) is neither read nor
 * written.
 *
 * <p>Open for extension in one way: a subclass may offer, on load, a snapshot it holds elsewhere
 * (the cluster's store offers the state of the node's replica), calling {@link #doLoadAsync} or
 * {@link #loadOn} for the stored one when it has none.
 */
public class CassandraSnapshotStore extends SnapshotStore {

  /** Chunks a load reads per request: a few MiB per answer, far from the native frame. */
  private static final int CHUNK_BYTES_PER_PAGE = 4 * 1024 * 1024;

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final CassandraSnapshotSettings settings;
  private final DriverConfigLoader configLoader;
  private final CqlSession session;
  private final PreparedStatement insertChunk;
  private final PreparedStatement insertHeader;
  private final PreparedStatement selectCandidates;
  private final PreparedStatement selectHeader;
  private final PreparedStatement selectChunks;
  private final PreparedStatement deleteHeader;
  private final PreparedStatement deleteChunks;

  public CassandraSnapshotStore(Config config) {
    this.settings = CassandraSnapshotSettings.fromConfig(config);
    createSchema(settings);
    this.configLoader = CassandraJournal.driverConfig(settings.asJournalSettings()).build();
    this.session = CassandraJournal.session(settings.asJournalSettings(), configLoader);
    this.insertChunk =
        session.prepare(
            "INSERT INTO snapshot_chunks (persistence_id, sequence_nr, chunk, data)"
                + " VALUES (?, ?, ?, ?)");
    this.insertHeader =
        session.prepare(
            "INSERT INTO snapshot_index (persistence_id, sequence_nr, timestamp, ser_id,"
                + " ser_manifest, chunks, size, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.selectCandidates =
        session.prepare(
            "SELECT sequence_nr, timestamp, ser_id, ser_manifest, chunks, size, crc FROM"
                + " snapshot_index WHERE persistence_id = ? AND sequence_nr >= ? AND"
                + " sequence_nr <= ?");
    this.selectHeader =
        session.prepare(
            "SELECT timestamp, ser_id, ser_manifest, chunks, size, crc FROM snapshot_index WHERE"
                + " persistence_id = ? AND sequence_nr = ?");
    this.selectChunks =
        session.prepare(
            "SELECT chunk, data FROM snapshot_chunks WHERE persistence_id = ? AND sequence_nr = ?"
                + " AND chunk < ?");
    this.deleteHeader =
        session.prepare("DELETE FROM snapshot_index WHERE persistence_id = ? AND sequence_nr = ?");
    this.deleteChunks =
        session.prepare("DELETE FROM snapshot_chunks WHERE persistence_id = ? AND sequence_nr = ?");
  }

  /** The CQL statements of the snapshot store's schema, in order. */
  public static List<String> statements(CassandraSnapshotSettings settings) {
    String ks = settings.keyspace();
    return List.of(
        JournalSchema.statements(settings.asJournalSettings()).get(0),
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".snapshot_index (persistence_id text, sequence_nr bigint, timestamp bigint,"
            + " ser_id int, ser_manifest text, chunks int, size bigint, crc int,"
            + " PRIMARY KEY (persistence_id, sequence_nr))"
            + " WITH CLUSTERING ORDER BY (sequence_nr DESC)"
            + " AND compaction = {'class': 'SizeTieredCompactionStrategy'}",
        "CREATE TABLE IF NOT EXISTS "
            + ks
            + ".snapshot_chunks (persistence_id text, sequence_nr bigint, chunk int, data blob,"
            + " PRIMARY KEY ((persistence_id, sequence_nr), chunk))"
            + " WITH compaction = {'class': 'SizeTieredCompactionStrategy'}");
  }

  /** Creates the keyspace and tables when missing; blocks until Cassandra has applied them. */
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
    return loadOn(context().dispatcher(), persistenceId, criteria);
  }

  /**
   * As {@link #doLoadAsync}, its reads run on {@code ec}: for a subclass that decides to load the
   * stored snapshot later, when it is no longer on the actor's thread (capture {@code
   * context().dispatcher()} while it is).
   */
  protected final Future<Optional<SelectedSnapshot>> loadOn(
      ExecutionContext ec, String persistenceId, SnapshotSelectionCriteria criteria) {
    return TimedReads.run(
        log,
        ec,
        () -> load(persistenceId, criteria),
        found ->
            "snapshot of ["
                + persistenceId
                + "] "
                + found.map(f -> "at " + f.metadata().sequenceNr()).orElse("none"));
  }

  private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria c) {
    int attempts = 0;
    Exception last = null;
    // Each candidate's row is its header: one round trip finds them, one more reads the chunks.
    for (Row header : candidates(persistenceId, c)) {
      long seqNr = header.getLong("sequence_nr");
      attempts++;
      try {
        byte[] bytes = assemble(persistenceId, seqNr, header);
        Object snapshot =
            serialization
                .deserialize(bytes, header.getInt("ser_id"), header.getString("ser_manifest"))
                .get();
        return Optional.of(
            SelectedSnapshot.create(
                new SnapshotMetadata(persistenceId, seqNr, header.getLong("timestamp")), snapshot));
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

  /**
   * The bytes of the snapshot {@code header} describes, from its chunks, a few per request; fails
   * when a chunk is missing or the bytes are not those the header was written for.
   */
  private byte[] assemble(String persistenceId, long seqNr, Row header) {
    int chunks = header.getInt("chunks");
    long size = header.getLong("size");
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("snapshot of " + size + " bytes is too large to load");
    }
    byte[] bytes = new byte[(int) size];
    int filled = 0;
    int expected = 0;
    int pageRows = Math.max(1, CHUNK_BYTES_PER_PAGE / settings.chunkSize());
    for (Row row :
        session.execute(selectChunks.bind(persistenceId, seqNr, chunks).setPageSize(pageRows))) {
      int chunk = row.getInt("chunk");
      if (chunk != expected) {
        throw new IllegalStateException(
            "chunk " + expected + " of " + chunks + " is missing (found " + chunk + ")");
      }
      ByteBuffer data = row.getByteBuffer("data");
      int n = data == null ? 0 : data.remaining();
      if (filled + n > size) {
        throw new IllegalStateException("chunks hold more than the header's " + size + " bytes");
      }
      if (n > 0) {
        data.get(bytes, filled, n);
      }
      filled += n;
      expected++;
    }
    if (expected != chunks || filled != size) {
      throw new IllegalStateException(
          "incomplete: "
              + expected
              + " of "
              + chunks
              + " chunks, "
              + filled
              + " of "
              + size
              + " bytes");
    }
    if (crc(bytes) != header.getInt("crc")) {
      throw new IllegalStateException("checksum mismatch (replaced while being read?)");
    }
    return bytes;
  }

  private static int crc(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes, 0, bytes.length);
    return (int) c.getValue();
  }

  /** The header rows of the snapshots matching {@code c}, newest first. */
  private List<Row> candidates(String persistenceId, SnapshotSelectionCriteria c) {
    List<Row> out = new ArrayList<>();
    for (Row row :
        session.execute(
            selectCandidates.bind(persistenceId, c.minSequenceNr(), c.maxSequenceNr()))) {
      long ts = row.getLong("timestamp");
      if (ts >= c.minTimestamp() && ts <= c.maxTimestamp()) {
        out.add(row);
      }
    }
    return out; // the clustering order is sequence_nr DESC
  }

  /** Sequence numbers of the snapshots matching {@code c}, newest first. */
  private List<Long> matching(String persistenceId, SnapshotSelectionCriteria c) {
    List<Long> out = new ArrayList<>();
    for (Row row : candidates(persistenceId, c)) {
      out.add(row.getLong("sequence_nr"));
    }
    return out;
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    return Futures.future(
        () -> {
          Serializer serializer = serialization.findSerializerFor(snapshot);
          // Through Serialization, which sets the transport information an ActorRef inside needs.
          byte[] bytes = serialization.serialize(snapshot).get();
          String pid = metadata.persistenceId();
          long seqNr = metadata.sequenceNr();
          int size = settings.chunkSize();
          int chunks = Math.max(1, (bytes.length + size - 1) / size);
          for (int i = 0; i < chunks; i++) {
            int from = i * size;
            int n = Math.min(size, bytes.length - from);
            session.execute(insertChunk.bind(pid, seqNr, i, ByteBuffer.wrap(bytes, from, n)));
          }
          // Last: until its header is written, the snapshot does not exist for a load.
          session.execute(
              insertHeader.bind(
                  pid,
                  seqNr,
                  metadata.timestamp(),
                  serializer.identifier(),
                  Serializers.manifestFor(serializer, snapshot),
                  chunks,
                  (long) bytes.length,
                  crc(bytes)));
          return null;
        },
        context().dispatcher());
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return Futures.future(
        () -> {
          String pid = metadata.persistenceId();
          Row row = session.execute(selectHeader.bind(pid, metadata.sequenceNr())).one();
          if (row != null
              && (metadata.timestamp() == 0 || row.getLong("timestamp") == metadata.timestamp())) {
            remove(pid, metadata.sequenceNr());
          }
          return null;
        },
        context().dispatcher());
  }

  /** The header first, so that a delete interrupted half way leaves no loadable remnant. */
  private void remove(String persistenceId, long seqNr) {
    session.execute(deleteHeader.bind(persistenceId, seqNr));
    session.execute(deleteChunks.bind(persistenceId, seqNr));
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(
        () -> {
          for (long seqNr : matching(persistenceId, criteria)) {
            remove(persistenceId, seqNr);
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
