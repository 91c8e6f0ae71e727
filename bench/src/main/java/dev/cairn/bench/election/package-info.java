/**
 * The election failover benchmark: candidate processes campaign in one election of Cairn ({@code
 * /v1/elections}), etcd (its election service through the JSON gateway) or ZooKeeper (Curator's
 * {@code LeaderLatch}); the leader's process is killed with SIGKILL again and again, and the time
 * from each kill to the next leader's notification is measured. Depends on the bench's HTTP client
 * and command-line parts only.
 */
package dev.cairn.bench.election;
