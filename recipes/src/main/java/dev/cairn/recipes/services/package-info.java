/**
 * Service discovery with health checks (Consul's catalog and checks): {@link
 * dev.cairn.recipes.services.ServiceRegistry} registers, reports, lists and deregisters instances;
 * {@link dev.cairn.recipes.services.HealthChecker} runs a namespace's checks on exactly one node at
 * a time, the holder of a {@link dev.cairn.recipes.lock.Lock}, with fenced writes.
 *
 * <p>Written only against {@link dev.cairn.recipes.CairnClient}, core's value types and Jackson
 * (for the stored JSON values); no Pekko, no HTTP server. HTTP probing is a {@link
 * dev.cairn.recipes.services.HealthChecker.Prober} supplied by the caller.
 */
package dev.cairn.recipes.services;
