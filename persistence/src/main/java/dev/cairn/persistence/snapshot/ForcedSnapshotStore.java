package dev.cairn.persistence.snapshot;

import com.typesafe.config.Config;
import java.nio.file.NoSuchFileException;
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
import scala.Option;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;

/**
 * Pekko Persistence snapshot store plugin: one file per snapshot in a directory.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Durability: a save is acknowledged only after the file was written to a temp name, forced,
 *       atomically renamed into place and the directory was forced (with the default {@code fsync =
 *       on}). A crash leaves either the complete snapshot or none; leftover temp files are removed
 *       at startup and are never read.
 *   <li>Load returns the newest snapshot (highest sequence number, then timestamp) matching the
 *       criteria. A file that is unreadable, fails its CRC or cannot be deserialized is skipped
 *       with a WARN and the next older one is tried, up to {@code max-load-attempts}; if every
 *       attempted file fails, the load fails rather than silently recovering without a snapshot.
 *   <li>Saving the same persistence id and sequence number again supersedes the earlier snapshot on
 *       load.
 *   <li>Delete by metadata removes the snapshot with that sequence number (and timestamp, unless it
 *       is 0); delete by criteria removes every matching snapshot.
 *   <li>Payload and optional metadata are stored with Pekko serialization (serializer id, manifest,
 *       bytes).
 *   <li>Space: a save that would leave less than {@code min-free-space} free on the directory's
 *       filesystem is skipped and fails with {@link SnapshotSkippedException}, so snapshots never
 *       take the journal's last space; skipping starts and stops with one log line each.
 *   <li>Concurrency: file IO runs on the plugin dispatcher; operations on different files are
 *       independent.
 * </ul>
 */
public final class ForcedSnapshotStore extends SnapshotStore {

  private final LoggingAdapter log = Logging.getLogger(context().system(), this);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final SnapshotDirectory files;
  private final int maxLoadAttempts;

  public ForcedSnapshotStore(Config config) throws Exception {
    SnapshotSettings settings = SnapshotSettings.fromConfig(config);
    if (!settings.fsync()) {
      log.warning(
          "snapshot store at [{}] runs with fsync = off: saved snapshots can be lost on power failure. "
              + "Never use this outside tests.",
          settings.dir().toAbsolutePath());
    }
    this.files = new SnapshotDirectory(settings.dir(), settings.fsync(), settings.minFreeSpace());
    this.maxLoadAttempts = settings.maxLoadAttempts();
  }

  private ExecutionContext io() {
    return context().dispatcher();
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(() -> load(persistenceId, criteria), io());
  }

  private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria criteria)
      throws Exception {
    List<SnapshotDirectory.Entry> candidates =
        files.list(persistenceId, e -> criteria.matches(metadataOf(e)));
    Exception lastFailure = null;
    int attempts = 0;
    for (SnapshotDirectory.Entry candidate : candidates) {
      if (attempts == maxLoadAttempts) {
        break;
      }
      attempts++;
      try {
        SnapshotFile.Content c = files.read(candidate);
        Object snapshot = deserialize(c.snapshot());
        Option<Object> meta =
            c.metadata().isPresent()
                ? Option.apply(deserialize(c.metadata().get()))
                : Option.empty();
        return Optional.of(
            SelectedSnapshot.create(
                new SnapshotMetadata(c.persistenceId(), c.sequenceNr(), c.timestamp(), meta),
                snapshot));
      } catch (NoSuchFileException deletedMeanwhile) {
        attempts--;
      } catch (Exception e) {
        lastFailure = e;
        log.warning(
            "skipping unreadable snapshot {}: {}; falling back to an older snapshot",
            candidate.path(),
            e.toString());
      }
    }
    if (lastFailure != null) {
      throw new IllegalStateException(
          "no readable snapshot for ["
              + persistenceId
              + "] after "
              + attempts
              + " attempt(s) in "
              + files.dir().toAbsolutePath(),
          lastFailure);
    }
    return Optional.empty();
  }

  private static SnapshotMetadata metadataOf(SnapshotDirectory.Entry e) {
    return new SnapshotMetadata(e.persistenceId(), e.sequenceNr(), e.timestamp());
  }

  private Object deserialize(SnapshotFile.Blob blob) {
    return serialization.deserialize(blob.bytes(), blob.serializerId(), blob.manifest()).get();
  }

  private SnapshotFile.Blob serialize(Object o) {
    Serializer serializer = serialization.findSerializerFor(o);
    byte[] bytes = serialization.serialize(o).get();
    return new SnapshotFile.Blob(
        serializer.identifier(), Serializers.manifestFor(serializer, o), bytes);
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    return Futures.future(
        () -> {
          Optional<SnapshotFile.Blob> meta =
              metadata.metadata().isDefined()
                  ? Optional.of(serialize(metadata.metadata().get()))
                  : Optional.empty();
          files.save(
              new SnapshotFile.Content(
                  metadata.persistenceId(),
                  metadata.sequenceNr(),
                  metadata.timestamp(),
                  serialize(snapshot),
                  meta));
          return null;
        },
        io());
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return Futures.future(
        () -> {
          files.delete(
              files.list(
                  metadata.persistenceId(),
                  e ->
                      e.sequenceNr() == metadata.sequenceNr()
                          && (metadata.timestamp() == 0L
                              || e.timestamp() == metadata.timestamp())));
          return null;
        },
        io());
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(
        () -> {
          files.delete(files.list(persistenceId, e -> criteria.matches(metadataOf(e))));
          return null;
        },
        io());
  }
}
