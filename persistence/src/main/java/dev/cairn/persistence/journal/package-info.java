/**
 * The embedded journal: a forced, segmented write-ahead log with group commit ({@link
 * dev.cairn.persistence.journal.ForcedLog}) and the Pekko Persistence journal plugin on top of it
 * ({@link dev.cairn.persistence.journal.ForcedLogJournal}, plugin id {@code
 * cairn.persistence.journal}).
 *
 * <p>This package owns the journal directory: its segment format, recovery, the directory lock and
 * the journal metrics ({@code cairn.journal.*}). An acknowledged write has been forced to stable
 * storage.
 *
 * <p>It must not depend on Cairn's domain (core, actors, http) nor on the event codec: events are
 * opaque bytes produced by Pekko serialization. Only {@link
 * dev.cairn.persistence.journal.ForcedLogJournal} touches Pekko; {@link
 * dev.cairn.persistence.journal.ForcedLog} stays usable without an ActorSystem (benchmarks, tools).
 */
package dev.cairn.persistence.journal;
