/**
 * {@code /v1/elections}: the election recipe of {@code dev.cairn.recipes.election} served over HTTP
 * (campaign, proclaim, resign, current leader, and observation as server-sent events), run through
 * {@link dev.cairn.http.recipe.InProcessClient}.
 *
 * <p>Depends on {@code dev.cairn.http.recipe}, recipes and the http package's request and response
 * helpers; nothing depends on it but {@link dev.cairn.http.Api}.
 */
package dev.cairn.http.election;
