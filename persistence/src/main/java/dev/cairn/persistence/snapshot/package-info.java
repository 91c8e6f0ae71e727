/**
 * The snapshot store plugin ({@link dev.cairn.persistence.snapshot.ForcedSnapshotStore}, plugin id
 * {@code cairn.persistence.snapshot-store}): one forced, atomically renamed file per snapshot.
 *
 * <p>This package owns the snapshot directory and its file format. It must not depend on Cairn's
 * domain (core, actors, http), on the event codec, nor on the journal package: snapshots and events
 * are stored independently.
 */
package dev.cairn.persistence.snapshot;
