/**
 * Lease keepalive benchmark: {@link dev.cairn.bench.lease.LeaseKeepalive} keeps N leases alive from
 * one client process, through a few WebSocket sessions or through HTTP keepalives, and reports the
 * server's memory per lease, the keepalive cost and whether any lease expired.
 *
 * <h2>Commands</h2>
 *
 * Build, then start a server with a fresh data directory for every run:
 *
 * <pre>{@code
 * mvn -q -pl http,bench -am package -DskipTests
 * bin/cairn server --port 7171 --data-dir $(mktemp -d) &
 * CP="bench/target/cairn-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*"
 * }</pre>
 *
 * (a) 100,000 leases on 4 WebSocket sessions, granted with {@code lease_grant} on the sessions,
 * heartbeats every second, TTL 30 s, held 30 s after the last grant:
 *
 * <pre>{@code
 * java -Xmx1g -cp "$CP" dev.cairn.bench.lease.LeaseKeepalive --url http://127.0.0.1:7171 \
 *   --mode ws --sessions 4 --grant ws --leases 100000 --ttl 30 --hold 30s
 * }</pre>
 *
 * ({@code --grant http} grants over HTTP, then {@code lease_attach}es each lease to a session.)
 *
 * <p>(b) the same leases kept alive with {@code POST /v1/leases/{id}/keepalive} from 32 concurrent
 * clients (one request in flight each), each lease renewed every TTL/3, then 10 s closed loop to
 * find the ceiling (restart the server first):
 *
 * <pre>{@code
 * java -Xmx1g -cp "$CP" dev.cairn.bench.lease.LeaseKeepalive --url http://127.0.0.1:7171 \
 *   --mode http --clients 32 --leases 100000 --ttl 30 --hold 30s --max-phase 10s
 * }</pre>
 *
 * Renewals start with the first grant (each lease is due one period after its own grant), so a long
 * grant phase does not expire the first leases.
 *
 * <p>(c) the same number of leases on etcd ({@code --mode etcd}, see {@code EtcdRenewers} and
 * {@code EtcdLeaseApi}): granted with {@code POST /v3/lease/grant}, renewed every TTL/3 by {@code
 * --clients} renewers, each sending its leases in {@code POST /v3/lease/keepalive} requests of
 * {@code --batch} {@code {"ID":...}} objects (the gateway feeds them into one keepalive stream and
 * answers each). Start etcd as {@code bin/bench} does, fresh for every run, then:
 *
 * <pre>{@code
 * bin/bench-watch --no-build --targets etcd --serve &   # prints http://127.0.0.1:2379
 * java -Xmx1g -cp "$CP" dev.cairn.bench.lease.LeaseKeepalive --mode etcd --url http://127.0.0.1:2379 \
 *   --clients 4 --batch 1000 --leases 100000 --ttl 30 --hold 30s
 * kill %1   # stops etcd and removes its data
 * }</pre>
 *
 * etcd is a Go process, so only RSS is reported ({@code rss_per_lease_granted_b}, {@code
 * rss_per_lease_held_b}); {@code keepalives_per_sec} counts single leases renewed, {@code
 * keepalive_requests_per_sec} the batched requests, and {@code keepalive_p50_ms}/{@code p99} their
 * latency. The expiry check uses {@code POST /v3/lease/leases} and {@code POST
 * /v3/lease/timetolive}.
 *
 * <h2>Output</h2>
 *
 * One JSON line: {@code date}, {@code cores}, {@code load_avg}; {@code granted}, {@code
 * grants_per_sec}; the server's heap after a full GC ({@code jcmd <pid> GC.run}, then {@code
 * jvm_memory_used_bytes{area="heap"}} summed from {@code /metrics}) before granting, after granting
 * and after the hold, and {@code heap_per_lease_granted_b}/{@code heap_per_lease_held_b} (the
 * differences divided by the leases), the same for RSS ({@code /proc/<pid>/status}); {@code
 * server_cpu_cores_hold} over the hold; for HTTP, {@code keepalives_per_sec} against {@code
 * keepalives_needed_per_sec}, {@code keepalive_p50_ms}/{@code p99}/{@code p999}/{@code max}, {@code
 * schedule_lag_max_s} (how late the clients ran) and {@code renewal_gap_max_s} (the longest time a
 * lease went without a renewal: must stay below the TTL), then {@code max_keepalives_per_sec},
 * {@code max_keepalive_p99_ms}, {@code server_cpu_us_per_keepalive}; for sessions, {@code
 * session_expired_msgs}. Expiry check: {@code listed_after_hold} ({@code GET /v1/leases}) must
 * equal {@code granted}, and {@code sampled_missing} ({@code GET /v1/leases/{id}} of {@code
 * --sample} random leases) must be 0; {@code expired} is the difference. Exit status 0 only when no
 * lease expired.
 */
package dev.cairn.bench.lease;
