/**
 * What the benchmarks report besides their own counts: the server process seen from outside ({@link
 * dev.cairn.bench.report.ServerProbe}) and the common figures and header of a JSON result line
 * ({@link dev.cairn.bench.report.Figures}).
 */
package dev.cairn.bench.report;
