/**
 * The semaphore recipe: a fixed number of permits handed out in FIFO order, written only against
 * {@link dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core value types, {@code dev.cairn.recipes} and {@code dev.cairn.recipes.fifo}.
 */
package dev.cairn.recipes.semaphore;
