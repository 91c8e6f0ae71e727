/**
 * The HTTP API: the server ({@link dev.cairn.http.CairnServer}, {@link dev.cairn.http.Main} behind
 * {@code bin/cairn}), routing, JSON and problem+json responses. Feature packages ({@code kv},
 * {@code lease}, {@code namespace}, {@code ops}) hold the handlers; DTOs here never leak into the
 * actors or the journal.
 *
 * <p>Depends on actors and core; nothing depends on it.
 */
package dev.cairn.http;
