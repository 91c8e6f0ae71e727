/**
 * What the load generator drives: a {@link dev.cairn.bench.load.target.Target} (Cairn or a peer)
 * hands out one {@link dev.cairn.bench.load.target.ClientChannel} per logical client, and each
 * channel carries at most one outstanding operation at a time. The {@link
 * dev.cairn.bench.load.target.Workload} fixes the key space and the value written.
 */
package dev.cairn.bench.load.target;
