package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The leader probes read the servers' answers as they come (samples taken from etcd 3.4, ZooKeeper
 * 3.9).
 */
class ProbeAnswersTest {

  @Test
  void zooKeeperSrvrGivesTheMode() {
    String srvr =
        """
        Zookeeper version: 3.9.4-7246445ec281f3dbf53dc54e970c914f39713903, built on 2025-08-19 19:53 UTC
        Latency min/avg/max: 0/0.4646/12
        Received: 3210
        Sent: 3209
        Connections: 3
        Outstanding: 0
        Zxid: 0x200000c6e
        Mode: leader
        Node count: 10
        Proposal sizes last/min/max: 48/48/356
        """;
    assertThat(ZooKeeperEnsembleTarget.mode(srvr)).isEqualTo("leader");
    assertThat(ZooKeeperEnsembleTarget.mode(srvr.replace("leader", "follower")))
        .isEqualTo("follower");
    assertThat(
            ZooKeeperEnsembleTarget.mode(
                "This ZooKeeper instance is not currently serving requests\n"))
        .isNull();
  }

  @Test
  void etcdStatusGivesTheMembersOwnIdAndItsLeaders() throws Exception {
    EtcdClusterTarget.Status s =
        EtcdClusterTarget.status(
            """
            {"header":{"cluster_id":"11820219929580335040","member_id":"9372538179322589801",
             "revision":"1002","raft_term":"3"},"version":"3.4.23","dbSize":"45056",
             "leader":"10501334649042878790","raftIndex":"1010","raftTerm":"3",
             "raftAppliedIndex":"1010","dbSizeInUse":"45056"}
            """);
    assertThat(s.memberId()).isEqualTo("9372538179322589801");
    assertThat(s.leaderId()).isEqualTo("10501334649042878790");
    assertThat(s.hasLeader()).isTrue();
    assertThat(
            EtcdClusterTarget.status("{\"header\":{\"member_id\":\"1\"},\"leader\":\"0\"}")
                .hasLeader())
        .isFalse();
    assertThat(EtcdClusterTarget.status("{\"header\":{\"member_id\":\"1\"}}").hasLeader())
        .isFalse();
  }
}
