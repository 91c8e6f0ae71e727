/**
 * Watch fan-out benchmark: {@link dev.cairn.bench.watch.WatchFanout}. (Commands to follow.)
 */
package dev.cairn.bench.watch;
