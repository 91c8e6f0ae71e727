/**
 * Watches and sessions over the wire: the WebSocket {@code /v1/watch} (many watches and leases on
 * one connection) and server-sent events {@code /v1/watch/{key}} (one watch, for curl and
 * browsers). One {@link dev.cairn.http.watch.WatchConnection} actor per connection owns its
 * watches' bounded buffers and its session's leases.
 */
package dev.cairn.http.watch;
