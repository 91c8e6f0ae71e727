/**
 * The fenced Cassandra journal: a Pekko Persistence journal plugin whose appends are Cassandra
 * lightweight transactions, so an append at a sequence number that is already taken is refused and
 * two writers of one persistence id can never both commit (design §3, "Safety from the log").
 *
 * <p>{@link dev.cairn.persistence.cassandra.CassandraJournal} is the plugin actor, {@link
 * dev.cairn.persistence.cassandra.CassandraJournalSettings} its configuration under {@code
 * cairn.persistence.cassandra-journal}, {@link dev.cairn.persistence.cassandra.JournalSchema} the
 * idempotent schema it creates. {@link dev.cairn.persistence.cassandra.CassandraSnapshotStore} is
 * the snapshot store beside it (same keyspace, no fencing: a snapshot only shortens recovery).
 */
package dev.cairn.persistence.cassandra;
