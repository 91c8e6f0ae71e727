package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The calls the command line needs beyond an application's: reads at a revision, a transaction as
 * JSON, compaction, listing leases, namespaces and the cluster's status, against a real node.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OperatorCallsTest extends OneNodeTest {
  @Test
  void readsAtARevisionSeeThePastAndCompactionForgetsIt() {
    Kv.Blocking kv = cairn.kv().blocking();
    long first = kv.put("rev/a", "one").revision();
    kv.put("rev/a", "two");
    kv.put("rev/b", "three");
    KeyValue then = CairnClient.await(cairn.kv().get("rev/a", first)).orElseThrow();
    assertThat(then.value().utf8String()).isEqualTo("one");
    assertThat(CairnClient.await(cairn.kv().get("rev/b", first))).isEmpty();
    assertThat(CairnClient.await(cairn.kv().get("rev/none", 0))).isEmpty();
    Reply.RangeReply before = CairnClient.await(cairn.kv().prefixAt("rev/", first));
    assertThat(before.kvs()).extracting(KeyValue::key).containsExactly("rev/a");
    Reply.RangeReply now = CairnClient.await(cairn.kv().prefixAt("rev/", 0));
    assertThat(now.kvs()).extracting(KeyValue::key).containsExactly("rev/a", "rev/b");

    long point = kv.put("rev/c", "four").revision();
    assertThat(CairnClient.await(cairn.kv().compact(point))).isEqualTo(point);
    assertThatThrownBy(() -> CairnClient.await(cairn.kv().get("rev/a", first)))
        .isInstanceOfSatisfying(
            ProblemException.class, p -> assertThat(p.code()).isEqualTo("compacted"));
  }

  @Test
  void aTransactionGivenAsJsonRunsEitherBranch() {
    cairn.kv().blocking().put("op/txn", "x");
    String json =
        "{\"compare\":[{\"key\":\"op/txn\",\"target\":\"value\",\"op\":\"=\",\"value\":\"x\"}],"
            + "\"success\":[{\"put\":{\"key\":\"op/txn\",\"value\":\"y\"}}],"
            + "\"failure\":[{\"range\":{\"key\":\"op/txn\"}}]}";
    Reply.TxnReply won = CairnClient.await(cairn.kv().txnJson(json));
    assertThat(won.succeeded()).isTrue();
    assertThat(won.responses().get(0)).isInstanceOf(Reply.PutReply.class);
    Reply.TxnReply lost = CairnClient.await(cairn.kv().txnJson(json));
    assertThat(lost.succeeded()).isFalse();
    assertThat(((Reply.RangeReply) lost.responses().get(0)).kvs().get(0).value())
        .isEqualTo(Bytes.utf8("y"));
    assertThatThrownBy(() -> cairn.kv().txnJson("{not json")).isInstanceOf(RuntimeException.class);
  }

  @Test
  void leasesAreListedAndAnUnkeptLeaseIsNotRenewed() {
    Leases.Lease kept = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(30)));
    Leases.Lease unkept = CairnClient.await(cairn.leases().grantUnkept(Duration.ofSeconds(30)));
    assertThat(cairn.leases().isKeptAlive(kept.id())).isTrue();
    assertThat(cairn.leases().isKeptAlive(unkept.id())).isFalse();
    List<Long> ids = CairnClient.await(cairn.leases().list());
    assertThat(ids).contains(kept.id(), unkept.id()).isSorted();
    CairnClient.await(cairn.leases().revoke(unkept.id()));
    assertThat(CairnClient.await(cairn.leases().list())).doesNotContain(unkept.id());
    CairnClient.await(cairn.leases().revoke(kept.id()));
  }

  @Test
  void namespacesAreCreatedListedAndDeleted() {
    Namespaces ns = cairn.namespaces();
    assertThat(CairnClient.await(ns.create("op-team"))).isTrue();
    assertThat(CairnClient.await(ns.create("op-team"))).isFalse();
    assertThat(CairnClient.await(ns.list())).contains("default", "op-team");
    CairnClient.await(ns.delete("op-team", false));
    assertThat(CairnClient.await(ns.list())).doesNotContain("op-team");
    assertThatThrownBy(() -> CairnClient.await(ns.delete("default", true)))
        .isInstanceOfSatisfying(
            ProblemException.class, p -> assertThat(p.code()).isEqualTo("namespace_protected"));
  }

  @Test
  void aClientWithoutMultiplexingReadsWritesAndWatches() {
    try (CairnClient c = CairnClient.builder().endpoints(node.url()).multiplexed(false).build()) {
      long from = c.kv().blocking().put("h1/k", "v").revision();
      assertThat(c.kv().blocking().get("h1/k").orElseThrow().value().utf8String()).isEqualTo("v");
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      Watch w = c.watch("h1/k", from, e -> seen.add(e.kv().value().utf8String()));
      c.kv().blocking().put("h1/k", "w");
      Node.await(Duration.ofSeconds(60), "two events", () -> seen.size() >= 2);
      w.cancel();
      assertThat(seen).containsExactly("v", "w");
    }
  }

  @Test
  void clusterStatusNamesThisNode() {
    var status = CairnClient.await(cairn.clusterStatus());
    assertThat(status.path("members").isArray()).isTrue();
    assertThat(status.path("journal").asText()).isNotEmpty();
  }
}
