package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.client.HeldLock;
import dev.cairn.client.Leases;
import dev.cairn.client.OutcomeUnknownException;
import dev.cairn.client.Watch;
import dev.cairn.client.WatchListener;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.WatchEvent;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Java client ({@code client/}) connected to every node of a cluster while the node it talks to
 * is killed with SIGKILL: its watch goes on from the last delivered revision + 1 (no gap, no
 * duplicate), its lease and the lock held with it survive, reads fail over, and a put in flight on
 * the dead connection is reported as {@link OutcomeUnknownException} and not sent again.
 */
final class ClientFailover {
  private static final String PREFIX = "client-failover/";
  private static final int WRITERS = 16;

  private ClientFailover() {}

  /** A put and what became of it. */
  private record Outcome(String key, boolean acknowledged, Throwable failure, long at) {}

  /**
   * Runs the scenario on {@code cluster}, the client talking first to node {@code victim}, which is
   * killed (and left dead).
   */
  static void run(CairnCluster cluster, int victim) throws Exception {
    List<URI> endpoints = new ArrayList<>();
    endpoints.add(cluster.endpoints().get(victim));
    for (int i = 0; i < cluster.size(); i++) {
      if (i != victim) {
        endpoints.add(cluster.endpoints().get(i));
      }
    }
    try (CairnClient client =
        CairnClient.builder()
            .endpoints(endpoints.stream().map(URI::toString).toArray(String[]::new))
            .requestTimeout(Duration.ofSeconds(20))
            .build()) {
      List<WatchEvent> seen = new CopyOnWriteArrayList<>();
      List<CairnClientException> watchErrors = new CopyOnWriteArrayList<>();
      Watch watch =
          client.watchPrefix(
              PREFIX,
              0,
              new WatchListener() {
                @Override
                public void onEvent(WatchEvent event) {
                  seen.add(event);
                }

                @Override
                public void onError(CairnClientException error) {
                  watchErrors.add(error);
                }
              });
      List<Throwable> lost = new CopyOnWriteArrayList<>();
      client.leases().onLoss(lost::add);
      Leases.Lease lease = CairnClient.await(client.leases().grant(Duration.ofSeconds(20)));
      HeldLock lock =
          CairnClient.await(
              client.recipes().lock("client-failover", Duration.ofSeconds(20), Duration.ZERO));

      Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger running = new AtomicInteger(WRITERS);
      for (int w = 0; w < WRITERS; w++) {
        write(client, w, 0, stop, outcomes, running);
      }
      cluster.await(
          "200 puts acknowledged before the kill",
          Duration.ofMinutes(2),
          () -> outcomes.stream().filter(Outcome::acknowledged).count() >= 200);

      long killedAt = System.nanoTime();
      cluster.kill9(victim);
      // Reads fail over at once: the first attempt finds the dead node, the next a live one.
      assertThat(client.kv().blocking().get(lock.key()))
          .as("a read after the kill, failed over")
          .isPresent();
      cluster.await(
          "200 puts acknowledged after the kill",
          Duration.ofMinutes(2),
          () ->
              outcomes.stream().filter(o -> o.acknowledged() && o.at() > killedAt).count() >= 200);
      stop.set(true);
      cluster.await("the writers stopped", Duration.ofMinutes(1), () -> running.get() == 0);

      List<Outcome> all = new ArrayList<>(outcomes);
      List<Outcome> unknown =
          all.stream().filter(o -> o.failure() instanceof OutcomeUnknownException).toList();
      List<Outcome> otherFailures =
          all.stream()
              .filter(o -> o.failure() != null && !(o.failure() instanceof OutcomeUnknownException))
              .toList();
      System.out.printf(
          "client-failover: node %d killed under the client; %d puts, %d acknowledged, %d of"
              + " unknown outcome, %d other failures %s%n",
          victim,
          all.size(),
          all.stream().filter(Outcome::acknowledged).count(),
          unknown.size(),
          otherFailures.size(),
          otherFailures.stream().limit(3).map(o -> o.failure().toString()).toList());
      assertThat(otherFailures)
          .as("puts either acknowledged or of unknown outcome (a put never sent is failed over)")
          .isEmpty();
      assertThat(unknown)
          .as("the puts in flight on the killed node's connection are reported as unknown")
          .isNotEmpty();

      // What the keyspace holds under the prefix: every acknowledged put, each written once
      // (a blind retry of a put of unknown outcome would have made a version 2).
      Map<String, KeyValue> stored = new HashMap<>();
      for (KeyValue kv : client.kv().blocking().prefix(PREFIX, 0).kvs()) {
        stored.put(kv.key(), kv);
      }
      for (Outcome o : all) {
        if (o.acknowledged()) {
          assertThat(stored).as("acknowledged put %s stored", o.key()).containsKey(o.key());
        }
      }
      assertThat(stored.values()).allSatisfy(kv -> assertThat(kv.version()).isEqualTo(1));

      // The watch delivered exactly what was written, in revision order, each once.
      cluster.await(
          "the watch delivered every stored put",
          Duration.ofMinutes(1),
          () -> seen.size() >= stored.size() || !watchErrors.isEmpty());
      assertThat(watchErrors).as("the watch did not end").isEmpty();
      List<Long> revisions = seen.stream().map(e -> e.kv().modRevision()).toList();
      for (int i = 1; i < revisions.size(); i++) {
        assertThat(revisions.get(i))
            .as("event %d after %d: no duplicate, in order", revisions.get(i), revisions.get(i - 1))
            .isGreaterThan(revisions.get(i - 1));
      }
      Map<String, Long> delivered = new HashMap<>();
      for (WatchEvent e : seen) {
        delivered.put(e.kv().key(), e.kv().modRevision());
      }
      Map<String, Long> expected = new HashMap<>();
      stored.forEach((k, kv) -> expected.put(k, kv.modRevision()));
      assertThat(delivered)
          .as("no gap: every stored put delivered by the watch")
          .isEqualTo(expected);
      assertThat(seen).hasSize(stored.size());

      // The lease and the lock survived: kept alive through another node.
      assertThat(lost).as("no lease reported lost").isEmpty();
      assertThat(lock.isHeld()).isTrue();
      assertThat(CairnClient.await(client.leases().timeToLive(lease.id()))).isPositive();
      assertThat(CairnClient.await(client.leases().timeToLive(lock.lease()))).isPositive();
      assertThat(client.kv().blocking().get(lock.key()).orElseThrow().lease())
          .isEqualTo(lock.lease());
      CairnClient.await(lock.fencedPut(PREFIX + "fenced", Bytes.utf8("still the holder")));
      watch.cancel();
      lock.close();
    }
  }

  /** One writer: puts {@code client-failover/<w>-<n>} in a loop until {@code stop}. */
  private static void write(
      CairnClient client,
      int w,
      int n,
      AtomicBoolean stop,
      Queue<Outcome> outcomes,
      AtomicInteger running) {
    if (stop.get()) {
      running.decrementAndGet();
      return;
    }
    String key = PREFIX + w + "-" + n;
    client
        .kv()
        .put(key, Bytes.utf8("v"))
        .whenComplete(
            (r, e) -> {
              outcomes.add(
                  new Outcome(key, e == null, e == null ? null : unwrap(e), System.nanoTime()));
              write(client, w, n + 1, stop, outcomes, running);
            });
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
