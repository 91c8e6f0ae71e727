/**
 * Peers measured with the same workloads as Cairn, so that ratios come from one run on one machine:
 * {@link dev.cairn.bench.peers.ZooKeeperTarget} (setData; sync then getData) and {@link
 * dev.cairn.bench.peers.EtcdTarget} (put and linearizable range over etcd's JSON gateway).
 */
package dev.cairn.bench.peers;
