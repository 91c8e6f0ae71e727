/**
 * The fair queue shared by the read-write lock and the semaphore: contenders as lease-bound keys
 * ordered by create revision, a policy that says who holds, and event-driven waiting on the keys
 * the policy names. Written only against {@link dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core value types and {@code dev.cairn.recipes} only.
 */
package dev.cairn.recipes.fifo;
