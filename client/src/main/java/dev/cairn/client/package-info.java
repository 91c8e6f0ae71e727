/**
 * The Java client of Cairn: {@link dev.cairn.client.CairnClient} and what it hands out (kv,
 * transactions, leases kept alive on one session, watches that resume by themselves, the recipes
 * over the network).
 *
 * <p>Depends on {@code recipes/} (the recipes and their {@code CairnClient} interface, which this
 * package implements over HTTP/2 and one WebSocket session) and core's value types; never on the
 * server's modules ({@code http/}, {@code actors/}), which only its tests start.
 */
package dev.cairn.client;
