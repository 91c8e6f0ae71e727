/**
 * The load generator: {@link dev.cairn.bench.load.LoadGenerator} drives Cairn's HTTP API, or a peer
 * from {@code dev.cairn.bench.peers}, with a fixed number of closed-loop clients, measures
 * throughput and latency after a warmup, and prints one JSON line per run ({@link
 * dev.cairn.bench.load.RunResult}).
 */
package dev.cairn.bench.load;
