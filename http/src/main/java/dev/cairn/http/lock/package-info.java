/**
 * {@code /v1/locks}: the lock recipe of {@code dev.cairn.recipes.lock} served over HTTP, run
 * through {@link dev.cairn.http.recipe.InProcessClient}, a {@link dev.cairn.recipes.CairnClient}
 * that talks to the namespace leaders of this node directly.
 *
 * <p>Depends on {@code dev.cairn.http.recipe}, recipes and the http package's request and response
 * helpers; nothing depends on it but {@link dev.cairn.http.Api}.
 */
package dev.cairn.http.lock;
