/**
 * Watch fan-out benchmark: {@link dev.cairn.bench.watch.WatchFanout} puts W prefix watches on K
 * WebSocket connections ({@code /v1/watch}), writes under the prefix at a fixed rate (open loop)
 * and checks that every watcher got every acknowledged revision exactly once, with the delivery
 * latency (receive time − scheduled send time, same process) over all (watcher, event) pairs.
 * {@link dev.cairn.bench.watch.WatchFanout} holds the options, {@link
 * dev.cairn.bench.watch.FanoutRun} the phases, {@link dev.cairn.bench.watch.PacedWriter} the
 * writer, {@link dev.cairn.bench.watch.FanoutReport} the accounting; one {@link
 * dev.cairn.bench.watch.WatchPeer} per system.
 *
 * <h2>Commands</h2>
 *
 * Build, then start a server with a fresh data directory per run and wait for "Cairn is serving":
 *
 * <pre>{@code
 * mvn -q -pl http,bench -am package -DskipTests
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
 * <h2>etcd and ZooKeeper</h2>
 *
 * {@code --target etcd} and {@code --target zookeeper} run the same workload against the peers
 * {@code bin/bench} uses (etcd 3.4 from Debian through its JSON gateway; ZooKeeper 3.9 standalone,
 * fsync on both), with the same writer, drain and accounting:
 *
 * <ul>
 *   <li><b>etcd</b> ({@code EtcdWatch}): each watcher is one {@code POST /v3/watch} request ({@code
 *       create_request} over the prefix's key range with {@code start_revision} = R0 + 1, like
 *       Cairn's watches) whose chunked response streams one JSON object per line. The gateway
 *       cannot carry several watches on one request, so {@code connections} in the result is the
 *       number of watchers; {@code --connections} only groups the streams ({@code stream_groups})
 *       and {@code --ws-clients} sets the event loop threads they share. Puts are {@code POST
 *       /v3/kv/put}; the value carries the same {@code <i>:<send time>:<pad>} as Cairn's (base64 on
 *       the wire). W=10,000 needs 10,000 sockets on each side: raise {@code ulimit -n} ({@code
 *       bin/bench-watch} does).
 *   <li><b>ZooKeeper</b> ({@code ZooKeeperWatch}): one child znode per put, created before the
 *       watches; W {@code addWatch(parent, watcher, PERSISTENT_RECURSIVE)} spread over {@code
 *       --connections} sessions; the writer's own session does {@code setData} on put i's child.
 *       The server notifies each session once per change and the client library calls each of the
 *       session's watchers in turn. Notifications carry no data, so the latency is the
 *       notification's (scheduled send time of the put, kept in this process, to the watcher's
 *       {@code process} call), matched to the put by path; {@code zxid_mismatch} checks the match
 *       against the zxid {@code setData} returned.
 * </ul>
 *
 * {@code bin/bench-watch} starts each peer fresh in a temporary directory (with {@code bin/bench}'s
 * settings, shared through {@code bin/lib/bench-servers.sh}), runs the program once per target and
 * stops it; options after {@code --} go to the program. The issue's figures, W=1000 over 10
 * connections (etcd: 1,000 streams in 10 groups; ZooKeeper: 10 sessions) at 1,000 puts/s, then
 * W=10,000 over 50:
 *
 * <pre>{@code
 * mvn -q -B -o -pl bench -am package -DskipTests
 * bin/bench-watch --no-build --targets etcd,zookeeper --out watch-peers.jsonl -- \
 *   --watchers 1000 --connections 10 --rate 1000 --warmup 5s --duration 20s
 * bin/bench-watch --no-build --targets etcd,zookeeper --out watch-peers.jsonl -- \
 *   --watchers 10000 --connections 50 --rate 1000 --warmup 5s --duration 20s
 * }</pre>
 *
 * By hand, against a peer started elsewhere, or by {@code bin/bench-watch --targets etcd --serve}
 * (or {@code zookeeper}), which starts it as for a run and keeps it until interrupted:
 *
 * <pre>{@code
 * java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.cairn.bench.watch.WatchFanout --target etcd \
 *   --url http://127.0.0.1:2379 --watchers 1000 --connections 10 --rate 1000 --warmup 5s --duration 20s
 * java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.cairn.bench.watch.WatchFanout --target zookeeper \
 *   --zk-connect 127.0.0.1:2181 --watchers 1000 --connections 10 --rate 1000 --warmup 5s --duration 20s
 * }</pre>
 *
 * <h2>Output</h2>
 *
 * One JSON line: {@code date}, {@code cores}, {@code load_avg} (1, 5, 15 min), {@code target}
 * ({@code cairn}, {@code etcd}, {@code zookeeper}), the setup (with {@code coalesce}; for peers a
 * {@code note} on what differs, etcd's {@code etcd_api}, {@code stream_groups} and {@code
 * http_clients}, ZooKeeper's {@code zxid_mismatch}), {@code puts_acked}/{@code put_errors}, {@code
 * put_p50_ms}/{@code put_p99_ms} (from the scheduled send time, puts after the warmup), {@code
 * events_expected} (acknowledged puts × watchers), {@code events_received}, {@code missed}, {@code
 * duplicates}, {@code extra} (delivered but never acknowledged: a put that timed out client-side
 * yet was applied), {@code out_of_order}, {@code canceled} (by reason, e.g. {@code slow_consumer}),
 * delivery latency {@code p50_ms}/{@code p99_ms}/{@code p999_ms}/{@code max_ms} over the measured
 * window, {@code deliveries_per_sec}, {@code server_cpu_cores} (from {@code /proc/<pid>/stat} of
 * the process listening on the port, over the measured window), {@code client_cpu_cores}, {@code
 * server_rss_mb}, {@code aborted} (the writer stopped because no put was acknowledged for {@code
 * --stall-timeout} or the server died), {@code ws_errors} and {@code ws_closed_early} (for the
 * peers: errors and early ends of the etcd streams, ZooKeeper session disconnections). Progress
 * goes to standard error every 5 s. Exit status 0 only when every watcher got every acknowledged
 * event exactly once and no put failed.
 *
 * <p>Machine notes: client and server share the machine; record {@code uptime} with every figure.
 * Against Cairn the client reads every WebSocket connection on one Netty event loop thread and
 * sends its puts over Netty keep-alive connections on another ({@link
 * dev.cairn.bench.http.TextSocket}, {@link dev.cairn.bench.http.HttpTransport}): the {@code
 * java.net.http} client, which it replaced, spent two to three times the CPU on hand-offs between
 * its threads, on the cores the server needs. etcd's watch streams are read the same way ({@link
 * dev.cairn.bench.http.LineStream}), on one event loop thread per {@code --connections} group
 * unless {@code --ws-clients} says otherwise.
 */
package dev.cairn.bench.watch;
