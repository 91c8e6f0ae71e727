package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's Java client tour, compiled and run against a real node. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReadmeExampleTest {
  @Test
  void tour() throws Exception {
    try (Node node = Node.start()) {
      String url = node.url();
      List<String> out = new CopyOnWriteArrayList<>();
      // --- README: java-client ---
      try (CairnClient cairn = CairnClient.connect(url)) {
        // keys and values (each call also has an asynchronous form: cairn.kv().put(...))
        Kv.Blocking kv = cairn.kv().blocking();
        Reply.PutReply put = kv.put("config/db", "postgres://db:5432");
        KeyValue db = kv.get("config/db").orElseThrow();

        // compare-and-set, and a transaction
        kv.compareAndSet("config/db", db.modRevision(), Bytes.utf8("postgres://db2:5432"));
        CairnClient.await(
            cairn
                .kv()
                .txn()
                .ifVersion("config/db", Compare.Op.GREATER, 0)
                .thenPut("config/seen", Bytes.utf8("yes"))
                .commit());

        // a watch: every change under config/ from a revision on, resumed after a dropped
        // connection from where it stopped
        Watch watch = cairn.watchPrefix("config/", put.revision(), e -> out.add(e.kv().key()));

        // a lease kept alive by the client, and a key bound to it
        Leases.Lease lease = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(10)));
        kv.put("members/a", Bytes.utf8("up"), Kv.PutOptions.lease(lease.id()));
        cairn.leases().onLoss(lost -> System.err.println("lost " + lost.lease()));

        // a lock with a fencing token; close() releases it
        try (HeldLock lock =
            CairnClient.await(
                cairn
                    .recipes()
                    .lock("jobs/nightly", Duration.ofSeconds(10), Duration.ofSeconds(5)))) {
          CairnClient.await(lock.fencedPut("jobs/last-run", Bytes.utf8("now")));
        }
        // --- end ---
        Node.await(Duration.ofSeconds(60), "the watch's events", () -> out.size() >= 3);
        watch.cancel();
      }
      assertThat(out).startsWith("config/db", "config/db", "config/seen");
    }
  }
}
