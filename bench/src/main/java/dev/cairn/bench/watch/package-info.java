/**
 * Watch fan-out benchmark: {@link dev.cairn.bench.watch.WatchFanout} puts W prefix watches on K
 * WebSocket connections ({@code /v1/watch}), writes under the prefix at a fixed rate (open loop)
 * and checks that every watcher got every acknowledged revision exactly once, with the delivery
 * latency (receive time − scheduled send time, same process) over all (watcher, event) pairs.
 * {@link dev.cairn.bench.watch.ServerProbe} and {@link dev.cairn.bench.watch.TextSocket} are shared
 * with {@code dev.cairn.bench.lease}.
 *
 * <h2>Commands</h2>
 *
 * Build, then start a server with a fresh data directory per run and wait for "Cairn is serving":
 *
 * <pre>{@code
 * cd /work/main && mvn -o -q install -Dmaven.test.skip=true -pl http,bench -am
 * bin/cairn server --port 7171 --data-dir $(mktemp -d) &
 * CP="bench/target/cairn-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*"
 * }</pre>
 *
 * The issue's target, W=1000 over 10 connections at 1,000 puts/s (p99 < 50 ms, no missed event):
 *
 * <pre>{@code
 * java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.cairn.bench.watch.WatchFanout \
 *   --url http://127.0.0.1:7171 --watchers 1000 --connections 10 --rate 1000 --warmup 5s --duration 30s
 * }</pre>
 *
 * The same with coalesced delivery ({@code /v1/watch?coalesce=true}: one {@code watch_ids} message
 * per connection and revision instead of one frame per watch), restarting the server between runs:
 *
 * <pre>{@code
 * java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.cairn.bench.watch.WatchFanout \
 *   --url http://127.0.0.1:7171 --watchers 1000 --connections 10 --rate 1000 --warmup 5s --duration 30s \
 *   --coalesce
 * }</pre>
 *
 * W=10,000 over 50 connections (restart the server first):
 *
 * <pre>{@code
 * java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.cairn.bench.watch.WatchFanout \
 *   --url http://127.0.0.1:7171 --watchers 10000 --connections 50 --rate 1000 --warmup 5s --duration 30s
 * }</pre>
 *
 * Where the server keeps up (capacity runs): the same with {@code --rate 100} (W=1000) or {@code
 * --rate 10} (W=10,000), and {@code --warmup 15s} so that the server's JIT has settled.
 *
 * <h2>Output</h2>
 *
 * One JSON line: {@code date}, {@code cores}, {@code load_avg} (1, 5, 15 min), the setup (with
 * {@code coalesce}), {@code puts_acked}/{@code put_errors}, {@code put_p50_ms}/{@code put_p99_ms}
 * (from the scheduled send time), {@code events_expected} (acknowledged puts × watchers), {@code
 * events_received}, {@code missed}, {@code duplicates}, {@code extra} (delivered but never
 * acknowledged: a put that timed out client-side yet was applied), {@code out_of_order}, {@code
 * canceled} (by reason, e.g. {@code slow_consumer}), delivery latency {@code p50_ms}/{@code
 * p99_ms}/{@code p999_ms}/{@code max_ms} over the measured window, {@code deliveries_per_sec},
 * {@code server_cpu_cores} (from {@code /proc/<pid>/stat} of the process listening on the port,
 * over the measured window), {@code client_cpu_cores}, {@code server_rss_mb}, {@code aborted} (the
 * writer stopped because no put was acknowledged for {@code --stall-timeout} or the server died).
 * Progress goes to standard error every 5 s. Exit status 0 only when every watcher got every
 * acknowledged event exactly once and no put failed.
 *
 * <p>Machine notes: client and server share the machine; record {@code uptime} with every figure.
 * The client uses one {@code java.net.http} client (selector thread) per connection by default:
 * with two shared ones the client, not the server, capped deliveries at ~20k/s.
 */
package dev.cairn.bench.watch;
