package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kv API against a real node: reads, writes, leases on keys, CAS, transactions, paging. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KvClientTest extends OneNodeTest {
  @Test
  void putThenGetWithPrevKvAndMetadata() {
    Kv.Blocking kv = cairn.kv().blocking();
    Reply.PutReply first = kv.put("kv/a", "one");
    assertThat(first.kv().version()).isEqualTo(1);
    Reply.PutReply second = kv.put("kv/a", Bytes.utf8("two"), Kv.PutOptions.NONE.withPrevKv());
    assertThat(second.prevKv().value().utf8String()).isEqualTo("one");
    assertThat(second.revision()).isGreaterThan(first.revision());
    KeyValue got = kv.get("kv/a").orElseThrow();
    assertThat(got.value().utf8String()).isEqualTo("two");
    assertThat(got.version()).isEqualTo(2);
    assertThat(got.modRevision()).isEqualTo(second.revision());
    assertThat(kv.get("kv/absent")).isEmpty();
  }

  @Test
  void binaryValuesRoundTrip() {
    byte[] raw = {(byte) 0xff, 0, (byte) 0xc3, 0x28};
    cairn.kv().blocking().put("kv/bin", Bytes.wrap(raw), Kv.PutOptions.NONE);
    assertThat(cairn.kv().blocking().get("kv/bin").orElseThrow().value().toByteArray())
        .isEqualTo(raw);
  }

  @Test
  void putWithLeaseBindsTheKeyAndRevokeDeletesIt() {
    Leases.Lease lease = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(30)));
    cairn.kv().blocking().put("kv/leased", Bytes.utf8("x"), Kv.PutOptions.lease(lease.id()));
    assertThat(cairn.kv().blocking().get("kv/leased").orElseThrow().lease()).isEqualTo(lease.id());
    assertThat(CairnClient.await(cairn.leases().revoke(lease.id()))).isEqualTo(1);
    assertThat(cairn.kv().blocking().get("kv/leased")).isEmpty();
  }

  @Test
  void deleteReportsWhatItDeleted() {
    cairn.kv().blocking().put("kv/del", "x");
    assertThat(cairn.kv().blocking().delete("kv/del").deleted()).isEqualTo(1);
    assertThat(cairn.kv().blocking().delete("kv/del").deleted()).isZero();
  }

  @Test
  void compareAndSetWritesOnlyAtTheExpectedRevision() {
    Kv.Blocking kv = cairn.kv().blocking();
    assertThat(kv.compareAndSet("kv/cas", 0, Bytes.utf8("created"))).isPresent();
    assertThat(kv.compareAndSet("kv/cas", 0, Bytes.utf8("again"))).isEmpty();
    long rev = kv.get("kv/cas").orElseThrow().modRevision();
    assertThat(kv.compareAndSet("kv/cas", rev + 1000, Bytes.utf8("stale"))).isEmpty();
    assertThat(kv.compareAndSet("kv/cas", rev, Bytes.utf8("next"))).isPresent();
    assertThat(kv.get("kv/cas").orElseThrow().value().utf8String()).isEqualTo("next");
  }

  @Test
  void transactionsRunTheBranchTheirComparesChoose() {
    cairn.kv().blocking().put("kv/txn", "v1");
    Reply.TxnReply ok =
        CairnClient.await(
            cairn
                .kv()
                .txn()
                .ifValue("kv/txn", Compare.Op.EQUAL, Bytes.utf8("v1"))
                .thenPut("kv/txn", Bytes.utf8("v2"))
                .thenGet("kv/txn")
                .orElseGet("kv/txn")
                .commit());
    assertThat(ok.succeeded()).isTrue();
    assertThat(ok.responses()).hasSize(2);
    Reply.RangeReply read = (Reply.RangeReply) ok.responses().get(1);
    assertThat(read.kvs().get(0).value().utf8String()).isEqualTo("v2");

    Reply.TxnReply no =
        CairnClient.await(
            cairn
                .kv()
                .txn()
                .ifVersion("kv/txn", Compare.Op.GREATER, 5)
                .thenDelete("kv/txn")
                .orElseGet("kv/txn")
                .commit());
    assertThat(no.succeeded()).isFalse();
    assertThat(cairn.kv().blocking().get("kv/txn")).isPresent();
  }

  @Test
  void rangeReadsPagesAtOneRevision() {
    for (int i = 0; i < 25; i++) {
      cairn.kv().blocking().put("page/k" + String.format("%02d", i), "v" + i);
    }
    Kv.Page first = CairnClient.await(cairn.kv().range("page/", 10));
    assertThat(first.kvs()).hasSize(10);
    assertThat(first.hasMore()).isTrue();
    // A write after the first page is not seen by the later pages: they read at its revision.
    cairn.kv().blocking().put("page/k99", "late");
    List<KeyValue> all = cairn.kv().blocking().range("page/", 10);
    assertThat(all).hasSize(26); // read afresh: sees the late key
    Kv.Page second = CairnClient.await(first.next());
    Kv.Page third = CairnClient.await(second.next());
    assertThat(second.revision()).isEqualTo(first.revision());
    assertThat(second.kvs()).hasSize(10);
    assertThat(third.kvs()).hasSize(5);
    assertThat(third.hasMore()).isFalse();
    assertThat(third.kvs().get(4).key()).isEqualTo("page/k24");
    assertThat(cairn.kv().blocking().prefix("page/", 3).count()).isEqualTo(26);
  }

  @Test
  void refusalsAreTypedWithTheServersCode() {
    String big = "x".repeat(5000);
    assertThatThrownBy(() -> cairn.kv().blocking().put(big, "v"))
        .isInstanceOfSatisfying(
            ProblemException.class,
            p -> {
              assertThat(p.code()).isEqualTo("key_too_large");
              assertThat(p.status()).isEqualTo(413);
            });
    assertThatThrownBy(
            () ->
                cairn
                    .kv()
                    .blocking()
                    .put("kv/nolease", Bytes.utf8("v"), Kv.PutOptions.lease(424242)))
        .isInstanceOfSatisfying(
            ProblemException.class, p -> assertThat(p.code()).isEqualTo("lease_not_found"));
  }
}
