/**
 * The lock benchmark ({@link dev.cairn.bench.lock.LockBenchmark}): contenders loop acquire →
 * critical section → release on one lock, each with a lease (or session) of its own, against
 * Cairn's {@code /v1/locks}, etcd's lock service (v3lock, through its JSON gateway) and ZooKeeper
 * with Curator's {@code InterProcessMutex}; and the same loop on a semaphore (Cairn's {@code
 * /v1/semaphores}, Curator's {@code InterProcessSemaphoreV2}) or a queue (push, take, ack on
 * Cairn's {@code /v1/queues}; offer, take on Curator's {@code SimpleDistributedQueue}). Depends on
 * the bench's HTTP client and report helpers only.
 */
package dev.cairn.bench.lock;
