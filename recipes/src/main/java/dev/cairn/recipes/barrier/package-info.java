/**
 * The barrier recipes: a double barrier (enter waits until a member count has entered, leave until
 * every member of the round has left), members bound to their leases; and a simple barrier (held,
 * released, waited on). Written only against {@link dev.cairn.recipes.CairnClient}; depends on core
 * value types only.
 */
package dev.cairn.recipes.barrier;
