/**
 * The node's cluster settings and what serves them: the {@code cairn.cluster} keys turned into
 * Pekko's remoting, seed and journal configuration ({@link
 * dev.cairn.http.cluster.ClusterSettings}), the start-up wait for an unreachable Cassandra ({@link
 * dev.cairn.http.cluster.CassandraGate}) and {@code GET /v1/cluster} ({@link
 * dev.cairn.http.cluster.ClusterApi}).
 */
package dev.cairn.http.cluster;
