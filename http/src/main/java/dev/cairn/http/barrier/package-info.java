/**
 * {@code /v1/barriers}: the double and simple barrier recipes of {@code dev.cairn.recipes.barrier}
 * served over HTTP, run through {@link dev.cairn.http.recipe.InProcessClient}.
 *
 * <p>Depends on the recipe plumbing of {@code dev.cairn.http.recipe}, recipes and the http
 * package's request and response helpers; nothing depends on it but {@link dev.cairn.http.Api}.
 */
package dev.cairn.http.barrier;
