/**
 * The read-write lock recipe: shared readers, an exclusive writer, fair by arrival and without
 * writer starvation, written only against {@link dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core value types, {@code dev.cairn.recipes} and {@code dev.cairn.recipes.fifo}.
 */
package dev.cairn.recipes.rwlock;
