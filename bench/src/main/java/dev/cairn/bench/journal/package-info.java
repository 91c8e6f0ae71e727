/**
 * The journals' own ceilings, below HTTP, sharding and Cairn's leader: {@link
 * dev.cairn.bench.journal.JournalBenchmark} drives the embedded forced log directly, and {@link
 * dev.cairn.bench.journal.CassandraJournalBenchmark} drives the fenced Cassandra journal plugin
 * through Pekko Persistence with persistent actors of its own ({@link
 * dev.cairn.bench.journal.LwtWriter} writing, {@link dev.cairn.bench.journal.ReplayCounter}
 * replaying to check what was written). Depends on the persistence module and the bench's report
 * helpers only.
 */
package dev.cairn.bench.journal;
