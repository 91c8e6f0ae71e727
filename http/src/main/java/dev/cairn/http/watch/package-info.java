/**
 * Watches and sessions over the wire: the WebSocket {@code /v1/watch} (many watches and leases on
 * one connection) and server-sent events {@code /v1/watch/{key}} (one watch, for curl and
 * browsers). One {@link dev.cairn.http.watch.WatchConnection} actor per connection runs the watch
 * lifecycle (subscribe, deliver, progress, cancel, subscribe again when a hub stops) and owns, one
 * concern each: the JSON protocol ({@code ClientMessage}), its watches and where each is registered
 * ({@code WatchRegistry}), one message for watches with the same events ({@code Coalescer}), the
 * socket queue with its bounded held-back messages ({@code Outbound}) and the session's leases
 * ({@code SessionLeases}). All of them are confined to the connection's actor. The subscription
 * lifecycle itself is {@link dev.cairn.http.watch.Subscriber} over each watch's {@link
 * dev.cairn.http.watch.Subscription}, public because the recipes' in-process watches ({@code
 * dev.cairn.http.recipe}) run through it too.
 */
package dev.cairn.http.watch;
