/**
 * The barrier recipes: a double barrier (enter waits until a member count has entered, leave until
 * every member of the round has left), members bound to their leases. Written only against {@link
 * dev.cairn.recipes.CairnClient}; depends on core value types only.
 */
package dev.cairn.recipes.barrier;
