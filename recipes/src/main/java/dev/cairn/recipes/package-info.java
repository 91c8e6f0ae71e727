/**
 * The Java client ({@code CairnClient}: kv, txn, lease, watch) and the recipes written only against
 * it: locks with fencing tokens, elections, semaphores, barriers, queues, service discovery. The
 * server's recipe endpoints run the same code through an in-process client.
 *
 * <p>Depends on core value types only.
 */
package dev.cairn.recipes;
