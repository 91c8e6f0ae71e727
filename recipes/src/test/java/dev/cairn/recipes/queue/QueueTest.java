package dev.cairn.recipes.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.RecipeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class QueueTest extends RecipeTest {
  final Queue queue = new Queue(client);

  Queue.Pushed push(String name, String value) throws Exception {
    return get(queue.push(name, Bytes.utf8(value)));
  }

  Queue.Delivery take(String name, long lease) throws Exception {
    return get(queue.take(name, lease, null));
  }

  long takers(String name) throws Exception {
    return get(client.prefix(Queue.takers(name))).count();
  }

  @Test
  void itemsAreTakenInPushOrderAndAnAckRemovesThem() throws Exception {
    List<Queue.Pushed> pushed = new ArrayList<>();
    for (String v : List.of("a", "b", "c")) {
      pushed.add(push("q", v));
    }
    assertThat(pushed).extracting(Queue.Pushed::id).isSorted().doesNotHaveDuplicates();
    long l = lease();
    for (int i = 0; i < 3; i++) {
      Queue.Delivery d = take("q", l);
      assertThat(d.id()).isEqualTo(pushed.get(i).id());
      assertThat(d.key()).isEqualTo(pushed.get(i).key());
      assertThat(d.value().utf8String()).isEqualTo(List.of("a", "b", "c").get(i));
      assertThat(d.token()).isGreaterThan(d.id());
      assertThat(d.lease()).isEqualTo(l);
    }
    Queue.State s = get(queue.status("q", 0));
    assertThat(s.length()).isEqualTo(3);
    assertThat(s.claimed()).isEqualTo(3);
    assertThat(s.items()).allMatch(i -> i.claim() != null && i.claim().lease() == l);
    for (Queue.Item i : s.items()) {
      get(queue.ack("q", i.id(), i.claim().token()));
    }
    s = get(queue.status("q", 0));
    assertThat(s.length()).isZero();
    assertThat(s.claimed()).isZero();
    assertThat(get(client.prefix(Queue.prefix("q"))).count()).isZero();
  }

  @Test
  void aClaimedItemIsInvisibleAndAStaleOrRepeatedAckChangesNothing() throws Exception {
    Queue.Pushed a = push("inv", "a");
    Queue.Delivery d = take("inv", lease());
    assertThat(d.id()).isEqualTo(a.id());
    assertThat(failure(queue.take("inv", lease(), Duration.ZERO)))
        .isEqualTo(ErrorCode.QUEUE_TIMEOUT);
    assertThat(failure(queue.ack("inv", d.id(), d.token() - 1))).isEqualTo(ErrorCode.NOT_CLAIMED);
    assertThat(failure(queue.ack("inv", d.id() + 1, d.token()))).isEqualTo(ErrorCode.NOT_CLAIMED);
    assertThat(get(queue.status("inv", 0)).length()).isEqualTo(1);
    get(queue.ack("inv", d.id(), d.token()));
    assertThat(failure(queue.ack("inv", d.id(), d.token()))).isEqualTo(ErrorCode.NOT_CLAIMED);
    assertThat(get(queue.status("inv", 0)).length()).isZero();
  }

  @Test
  void anItemWhoseTakersLeaseEndsIsDeliveredAgainInItsOriginalPlace() throws Exception {
    Queue.Pushed a = push("re", "a");
    Queue.Pushed b = push("re", "b");
    long doomed = lease();
    Queue.Delivery first = take("re", doomed);
    assertThat(first.id()).isEqualTo(a.id());
    client.expire(doomed);
    long l = lease();
    Queue.Delivery again = take("re", l);
    assertThat(again.id()).isEqualTo(a.id());
    assertThat(again.token()).isGreaterThan(first.token());
    // The old taker's ack is refused: the item is the new taker's now.
    assertThat(failure(queue.ack("re", first.id(), first.token())))
        .isEqualTo(ErrorCode.NOT_CLAIMED);
    assertThat(take("re", l).id()).isEqualTo(b.id());
    get(queue.ack("re", again.id(), again.token()));
  }

  @Test
  void waitingTakersAreWokenOneAPushAndEachWatchesOneKey() throws Exception {
    int waiters = 4;
    List<CompletableFuture<Queue.Delivery>> waiting = new ArrayList<>();
    for (int i = 0; i < waiters; i++) {
      waiting.add(queue.take("w", lease(), null).toCompletableFuture());
      long n = i + 1;
      await(() -> takers("w") == n);
    }
    await(() -> client.watchesOpened.get() == waiters);
    for (int i = 0; i < waiters; i++) {
      Queue.Pushed p = push("w", "v" + i);
      int done = i + 1;
      await(() -> waiting.stream().filter(CompletableFuture::isDone).count() == done);
      // Exactly the oldest waiter got it; the later ones still wait.
      assertThat(waiting.get(i).get(30, TimeUnit.SECONDS).id()).isEqualTo(p.id());
      for (int j = i + 1; j < waiters; j++) {
        assertThat(waiting.get(j)).isNotDone();
      }
    }
    // Each push woke the head of the line, and the one behind it moved up: no herd.
    assertThat(client.watchesOpened.get()).isLessThanOrEqualTo(2L * waiters);
    await(() -> takers("w") == 0);
  }

  @Test
  void aTakeThatTimesOutLeavesTheLineAndTheOneBehindItStillGetsTheItem() throws Exception {
    CompletableFuture<Queue.Delivery> impatient =
        queue.take("t", lease(), Duration.ofMillis(300)).toCompletableFuture();
    await(() -> takers("t") == 1);
    CompletableFuture<Queue.Delivery> patient =
        queue.take("t", lease(), null).toCompletableFuture();
    await(() -> takers("t") == 2);
    assertThat(failure(impatient)).isEqualTo(ErrorCode.QUEUE_TIMEOUT);
    await(() -> takers("t") == 1);
    Queue.Pushed p = push("t", "x");
    assertThat(patient.get(30, TimeUnit.SECONDS).id()).isEqualTo(p.id());
    assertThat(get(queue.status("t", 0)).claimed()).isEqualTo(1);
  }

  @Test
  void aTryTakeOnAnEmptyQueueFailsAtOnceAndLeavesNothing() throws Exception {
    assertThat(failure(queue.take("e", lease(), Duration.ZERO))).isEqualTo(ErrorCode.QUEUE_TIMEOUT);
    assertThat(get(client.prefix(Queue.prefix("e"))).count()).isZero();
    assertThat(client.watchesOpened.get()).isZero();
  }

  @Test
  void anUnknownLeaseIsRefusedWithAndWithoutItems() throws Exception {
    assertThat(failure(queue.take("u", 424242, Duration.ofSeconds(5))))
        .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    push("u", "a");
    assertThat(failure(queue.take("u", 424242, Duration.ofSeconds(5))))
        .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    assertThat(get(queue.status("u", 0)).claimed()).isZero();
  }

  @Test
  void aWaitingTakerWhoseLeaseEndsFailsWithLeaseNotFound() throws Exception {
    long doomed = lease();
    CompletableFuture<Queue.Delivery> t = queue.take("x", doomed, null).toCompletableFuture();
    await(() -> takers("x") == 1);
    client.expire(doomed);
    assertThat(failure(t)).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
  }

  @Test
  void queuesWhoseNamesNestAreIndependent() throws Exception {
    push("a", "outer");
    push("a/b", "inner");
    assertThat(get(queue.status("a", 0)).length()).isEqualTo(1);
    assertThat(take("a/b", lease()).value().utf8String()).isEqualTo("inner");
  }

  /**
   * Producers and consumers at once; some consumers abandon what they took (their lease is revoked,
   * as when a taker is killed). Every item is acked exactly once, none is lost, and an abandoned
   * item is delivered again.
   */
  @Test
  void concurrentProducersAndConsumersWithAbandonedClaimsDeliverEveryItemAndAckEachOnce()
      throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    int producers = 4;
    int perProducer = 50;
    int consumers = 6;
    int total = producers * perProducer;
    Map<String, AtomicInteger> acked = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    AtomicInteger ackedCount = new AtomicInteger();
    AtomicInteger abandoned = new AtomicInteger();
    long[] seeds = random.longs(consumers).toArray();
    concurrently(
        producers + consumers,
        100,
        t -> {
          if (t < producers) {
            for (int i = 0; i < perProducer; i++) {
              push("load", t + ":" + i);
            }
            return;
          }
          int c = t - producers;
          boolean flaky = c % 2 == 0;
          Random r = new Random(seeds[c]);
          int taken = 0;
          long l = lease();
          while (ackedCount.get() < total) {
            Queue.Delivery d;
            try {
              d = get(queue.take("load", l, Duration.ofMillis(500)));
            } catch (ExecutionException e) {
              if (CairnException.codeOf(e.getCause()) == ErrorCode.QUEUE_TIMEOUT) {
                continue;
              }
              throw e;
            }
            String v = d.value().utf8String();
            delivered.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
            taken++;
            if (flaky && (taken % 7 == 1 || r.nextInt(10) == 0)) {
              // Killed while holding it: the lease goes, the claim with it.
              abandoned.incrementAndGet();
              get(client.revokeLease(l));
              l = lease();
              continue;
            }
            get(queue.ack("load", d.id(), d.token()));
            acked.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
            ackedCount.incrementAndGet();
          }
        });
    String why = "seed " + seed;
    assertThat(acked).as(why).hasSize(total);
    assertThat(acked.values()).as(why).allMatch(n -> n.get() == 1);
    assertThat(ackedCount.get()).as(why).isEqualTo(total);
    int deliveries = delivered.values().stream().mapToInt(AtomicInteger::get).sum();
    assertThat(deliveries).as(why).isEqualTo(total + abandoned.get());
    assertThat(abandoned.get()).as(why).isPositive();
    Queue.State s = get(queue.status("load", 0));
    assertThat(s.length()).as(why).isZero();
    assertThat(s.claimed()).as(why).isZero();
  }
}
