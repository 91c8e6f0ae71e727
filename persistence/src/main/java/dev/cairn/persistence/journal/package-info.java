/**
 * The embedded journal: a forced, segmented write-ahead log with group commit ({@link
 * dev.cairn.persistence.journal.ForcedLog}) and the Pekko Persistence journal plugin on top of it
 * ({@link dev.cairn.persistence.journal.ForcedLogJournal}, plugin id {@code
 * cairn.persistence.journal}).
 *
 * <p>{@code ForcedLog} is the API over four parts: recovery ({@code LogRecovery}: scan, torn-tail
 * handling), the group-commit writer thread ({@code GroupWriter}, which also fences appends),
 * segment reclamation ({@code SegmentReclaimer}) and the in-memory index ({@code LogIndex}).
 *
 * <p>This package owns the journal directory: its segment format, recovery, the directory lock and
 * the journal metrics ({@code cairn.journal.*}). An acknowledged write has been forced to stable
 * storage.
 *
 * <p>It must not depend on Cairn's domain (core, actors, http) nor on the event codec: events are
 * opaque bytes produced by Pekko serialization. Only {@link
 * dev.cairn.persistence.journal.ForcedLogJournal} and the {@link
 * dev.cairn.persistence.journal.JournalConditions} extension touch Pekko; {@link
 * dev.cairn.persistence.journal.ForcedLog} stays usable without an ActorSystem (benchmarks, tools).
 */
package dev.cairn.persistence.journal;
