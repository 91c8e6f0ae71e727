/**
 * The counter recipe: a 64-bit integer changed by atomic additions, written only against {@link
 * dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core value types and {@code dev.cairn.recipes} only.
 */
package dev.cairn.recipes.counter;
