/**
 * How the benchmark programs read their command lines: {@link dev.cairn.bench.cli.Cli} builds and
 * runs a command, and the options several commands share are picocli mixins ({@link
 * dev.cairn.bench.cli.TargetUrl}, {@link dev.cairn.bench.cli.EtcdApi}, {@link
 * dev.cairn.bench.cli.ZooKeeperOptions}, {@link dev.cairn.bench.cli.RunWindow}, {@link
 * dev.cairn.bench.cli.ServerPid}), durations read by {@link dev.cairn.bench.cli.DurationConverter}.
 */
package dev.cairn.bench.cli;
