/**
 * The lock recipe: a fair FIFO mutex with fencing tokens, written only against {@link
 * dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core value types and {@code dev.cairn.recipes} only.
 */
package dev.cairn.recipes.lock;
