/**
 * {@code /v1/services}: service discovery with health checks, the recipe of {@code
 * dev.cairn.recipes.services} served over HTTP through an in-process client, with the node's HTTP
 * prober and the per-namespace health checkers.
 *
 * <p>Depends on actors (Namespaces), recipes, the in-process client of {@code
 * dev.cairn.http.recipe} and the http package's request and response helpers; nothing depends on it
 * but {@link dev.cairn.http.Api}.
 */
package dev.cairn.http.services;
