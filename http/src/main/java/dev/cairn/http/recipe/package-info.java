/**
 * The plumbing every recipe's endpoints share: {@link dev.cairn.http.recipe.InProcessClient}, the
 * {@link dev.cairn.recipes.CairnClient} that runs a recipe of {@code dev.cairn.recipes} against
 * this node's namespace leaders, and its watches (a {@code KeyWatch} actor each).
 *
 * <p>Depends on actors (Namespaces, the watch hub protocol), recipes and core; the recipe packages
 * of {@code dev.cairn.http} (locks, elections, …) depend on it, never the other way.
 */
package dev.cairn.http.recipe;
