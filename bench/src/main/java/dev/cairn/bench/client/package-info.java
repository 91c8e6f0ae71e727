/**
 * Benchmarks through Cairn's own Java client ({@code client/}): leases kept alive through one
 * client. Depends on the client and the bench's shared options and report helpers.
 */
package dev.cairn.bench.client;
