/**
 * {@code /v1/counters}: the counter recipe of {@code dev.cairn.recipes.counter} served over HTTP,
 * run through {@link dev.cairn.http.recipe.InProcessClient}.
 *
 * <p>Depends on actors (Namespaces), recipes, the in-process client of {@code http/recipe} and the
 * http package's request and response helpers; nothing depends on it but {@link
 * dev.cairn.http.Api}.
 */
package dev.cairn.http.counter;
