/**
 * Failover benchmark: write unavailability when the leader of a 3-member cluster is killed with
 * {@code kill -9}. {@link dev.cairn.bench.failover.FailoverBenchmark} holds the options, {@link
 * dev.cairn.bench.failover.FailoverRun} the kill rounds, {@link dev.cairn.bench.failover.Writers}
 * the clients' write loops and their log, {@link dev.cairn.bench.failover.Outage} the figures read
 * from it; the processes come from a {@link dev.cairn.bench.failover.ClusterFile} and are killed
 * and restarted by pid ({@code Processes}).
 *
 * <p>Each system is one {@link dev.cairn.bench.failover.FailoverTarget}: how its clients write and
 * how its members say who leads and whether they are all back. {@link
 * dev.cairn.bench.failover.EtcdClusterTarget} (JSON gateway, {@code maintenance/status}), {@link
 * dev.cairn.bench.failover.ZooKeeperEnsembleTarget} (Java client, {@code srvr}) and {@link
 * dev.cairn.bench.failover.CairnTarget} ({@code GET /v1/cluster}, written ahead of the cluster and
 * not yet run against one).
 *
 * <h2>What one kill measures</h2>
 *
 * {@code --clients} clients write their own key without pause, one write in flight each, each write
 * with {@code --write-timeout}; a failed write (error answer, broken connection, timeout) makes the
 * client move to another member (etcd, Cairn: the next URL in the file; ZooKeeper: the client
 * library reconnects by itself) and send again after {@code --backoff}. Before each kill the
 * cluster is whole and writes have flowed for {@code --steady}. Then:
 *
 * <ul>
 *   <li>{@code unavailable_ms}: from the kill to the acknowledgement of the first write sent after
 *       it (an acknowledgement of a write sent before the kill does not count: it may have been
 *       committed before);
 *   <li>{@code gap_ms}: from the last acknowledgement before the kill to that one;
 *   <li>{@code new_leader_ms}: until the surviving members first name a new leader (polled every 50
 *       ms, so up to ~50 ms late);
 *   <li>{@code rejoin_ms}: from restarting the killed member to a whole cluster again.
 * </ul>
 *
 * One JSON line per kill, then a summary line ({@code bench: failover-summary}) with the median,
 * p90 (nearest rank) and max of each figure, the client settings and the cluster file's {@code
 * settings} (the servers' timeouts).
 *
 * <h2>Commands</h2>
 *
 * <pre>{@code
 * bin/bench failover                                  # etcd and ZooKeeper, 10 kills each
 * bin/bench failover --targets etcd --kills 20 --out failover.jsonl
 * bin/bench failover --cluster DIR/cluster.json       # a Cairn cluster of bin/cairn cluster up
 * bin/bench failover -- --fault stop                  # kill -STOP: the leader hangs, sockets open
 * bin/bench failover -- --fault term                  # SIGTERM: a graceful shutdown
 * bin/bench peers3 start etcd /tmp/peers              # by hand: prints the cluster file
 * java -cp "bench/target/cairn-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   dev.cairn.bench.failover.FailoverBenchmark --cluster /tmp/peers/etcd/cluster.json --kills 3
 * bin/bench peers3 stop /tmp/peers/etcd
 * }</pre>
 *
 * Must not depend on Cairn's server modules: a Cairn cluster is driven over HTTP like the peers.
 */
package dev.cairn.bench.failover;
