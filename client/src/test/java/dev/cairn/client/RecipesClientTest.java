package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.election.Election;
import dev.cairn.recipes.queue.Queue;
import dev.cairn.recipes.rwlock.RwLock;
import dev.cairn.recipes.semaphore.Semaphore;
import dev.cairn.recipes.services.ServiceRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The recipes of {@code recipes/} over the network: locks with fencing and lease loss, elections,
 * semaphores, queues and counters, against a real node, through two clients.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RecipesClientTest {
  static Node node;
  static CairnClient a;
  static CairnClient b;

  @BeforeAll
  static void start() {
    node = Node.start();
    a = CairnClient.connect(node.url());
    b = CairnClient.connect(node.url());
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    node.close();
  }

  @Test
  void aLockIsExclusiveFencedAndReleasedOnClose() {
    long token;
    try (HeldLock held =
        CairnClient.await(
            a.recipes().lock("jobs", Duration.ofSeconds(10), Duration.ofSeconds(30)))) {
      token = held.fencingToken();
      assertThat(held.isHeld()).isTrue();
      CairnClient.await(held.fencedPut("jobs/state", Bytes.utf8("a")));
      // The other client waits, and times out.
      assertThatThrownBy(
              () ->
                  CairnClient.await(
                      b.recipes().lock("jobs", Duration.ofSeconds(10), Duration.ofMillis(300))))
          .isInstanceOfSatisfying(
              CairnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LOCK_TIMEOUT));
    }
    try (HeldLock next =
        CairnClient.await(
            b.recipes().lock("jobs", Duration.ofSeconds(10), Duration.ofSeconds(30)))) {
      assertThat(next.fencingToken()).isGreaterThan(token);
      CairnClient.await(next.fencedPut("jobs/state", Bytes.utf8("b")));
      // A write fenced with the old token is refused.
      assertThatThrownBy(
              () ->
                  CairnClient.await(
                      a.kv()
                          .txn()
                          .fence("jobs", token)
                          .thenPut("jobs/state", Bytes.utf8("stale"))
                          .commit()))
          .isInstanceOfSatisfying(
              ProblemException.class, e -> assertThat(e.code()).isEqualTo("fenced"));
    }
    assertThat(a.kv().blocking().get("jobs/state").orElseThrow().value().utf8String())
        .isEqualTo("b");
  }

  @Test
  void aLostLeaseReachesTheLockAndTheLeadershipAsLeaseLost() throws Exception {
    HeldLock held =
        CairnClient.await(a.recipes().lock("lost", Duration.ofSeconds(10), Duration.ofSeconds(30)));
    Leadership leads =
        CairnClient.await(
            a.recipes()
                .campaign(
                    "lost-e", Bytes.utf8("me"), Duration.ofSeconds(10), Duration.ofSeconds(30)));
    // Someone revokes both leases behind the client's back.
    node.send("DELETE", "/v1/leases/" + held.lease(), null);
    node.send("DELETE", "/v1/leases/" + leads.lease(), null);
    for (var lost : List.of(held.lost(), leads.lost())) {
      assertThatThrownBy(() -> lost.toCompletableFuture().get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(LeaseLostException.class);
    }
    assertThat(held.isHeld()).isFalse();
    assertThat(leads.isLeader()).isFalse();
  }

  @Test
  void aLostLeaseReachesEveryRecipeHeldByItAsLeaseLost() throws Exception {
    Duration ttl = Duration.ofSeconds(10);
    Duration wait = Duration.ofSeconds(30);
    CairnClient.await(a.recipes().queues().push("lost-q", Bytes.utf8("job")));
    List<Held<?>> held =
        List.of(
            CairnClient.await(a.recipes().readWriteLock("lost-rw", RwLock.Mode.WRITE, ttl, wait)),
            CairnClient.await(a.recipes().acquirePermit("lost-sem", 2, ttl, wait)),
            CairnClient.await(a.recipes().holdBarrier("lost-b", ttl)),
            CairnClient.await(a.recipes().enterBarrier("lost-db", 1, ttl, wait)),
            CairnClient.await(a.recipes().take("lost-q", ttl, wait)),
            CairnClient.await(
                a.recipes()
                    .register(
                        "lost-svc",
                        "i1",
                        new ServiceRegistry.Registration(
                            "10.0.0.1", 80, List.of(), Map.of(), List.of(), 0, 0),
                        ttl)));
    for (Held<?> h : held) {
      assertThat(h.isHeld()).isTrue();
      // Someone revokes the lease behind the client's back.
      node.send("DELETE", "/v1/leases/" + h.lease(), null);
    }
    for (Held<?> h : held) {
      assertThatThrownBy(() -> h.lost().toCompletableFuture().get(60, TimeUnit.SECONDS))
          .as("lost() of %s", h.value())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              LeaseLostException.class, e -> assertThat(e.lease()).isEqualTo(h.lease()));
      assertThat(h.isHeld()).isFalse();
    }
    // Nothing was granted again behind the application's back.
    assertThat(a.leases().keptAlive()).isZero();
    assertThat(CairnClient.await(a.recipes().services().instances("lost-svc")).instances())
        .isEmpty();
  }

  @Test
  void aReleasedHoldingIsNotReportedLost() {
    Held<Semaphore.Grant> permit =
        CairnClient.await(
            a.recipes()
                .acquirePermit("released-sem", 1, Duration.ofSeconds(10), Duration.ofSeconds(30)));
    long lease = permit.lease();
    permit.close();
    assertThat(permit.lost().toCompletableFuture().isCancelled()).isTrue();
    assertThat(a.leases().isKeptAlive(lease)).isFalse();
    // The permit is free again.
    CairnClient.await(
            b.recipes().acquirePermit("released-sem", 1, Duration.ofSeconds(10), Duration.ZERO))
        .close();
  }

  @Test
  void electionCampaignProclaimObserveAndResign() {
    List<Election.Observation> seen = new CopyOnWriteArrayList<>();
    Watch observing = b.recipes().observe("sched", seen::add);
    Leadership first =
        CairnClient.await(
            a.recipes()
                .campaign(
                    "sched", Bytes.utf8("a:1"), Duration.ofSeconds(10), Duration.ofSeconds(30)));
    CairnClient.await(first.proclaim(Bytes.utf8("a:2")));
    CairnClient.await(first.fencedPut("sched/owner", Bytes.utf8("a")));
    Node.await(
        Duration.ofSeconds(30),
        "the proclaimed value observed",
        () ->
            seen.stream()
                .anyMatch(
                    o -> o.leader() != null && o.leader().value().utf8String().equals("a:2")));
    first.close();
    Leadership second =
        CairnClient.await(
            b.recipes()
                .campaign(
                    "sched", Bytes.utf8("b"), Duration.ofSeconds(10), Duration.ofSeconds(30)));
    assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
    // The old leader's fenced writes are refused.
    assertThatThrownBy(() -> CairnClient.await(first.fencedPut("sched/owner", Bytes.utf8("old"))))
        .isInstanceOfSatisfying(
            ProblemException.class, e -> assertThat(e.code()).isEqualTo("fenced"));
    CairnClient.await(second.fencedPut("sched/owner", Bytes.utf8("b")));
    second.close();
    observing.cancel();
  }

  @Test
  void semaphoreQueueAndCounterRunOverTheNetwork() {
    Leases.Lease l1 = CairnClient.await(a.leases().grant(Duration.ofSeconds(10)));
    Leases.Lease l2 = CairnClient.await(b.leases().grant(Duration.ofSeconds(10)));
    Semaphore sa = a.recipes().semaphores();
    Semaphore.Grant g = CairnClient.await(sa.acquire("pool", 1, l1.id(), Duration.ofSeconds(5)));
    assertThatThrownBy(
            () ->
                CairnClient.await(
                    b.recipes().semaphores().acquire("pool", 1, l2.id(), Duration.ZERO)))
        .isInstanceOfSatisfying(
            CairnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SEMAPHORE_TIMEOUT));
    CairnClient.await(sa.release("pool", g.token()));

    Queue qa = a.recipes().queues();
    CairnClient.await(qa.push("work", Bytes.utf8("job-1")));
    Queue.Delivery d =
        CairnClient.await(b.recipes().queues().take("work", l2.id(), Duration.ofSeconds(10)));
    assertThat(d.value().utf8String()).isEqualTo("job-1");
    CairnClient.await(b.recipes().queues().ack("work", d.id(), d.token()));

    assertThat(CairnClient.await(a.recipes().counters().add("hits", 5, 0)).value()).isEqualTo(5);
    assertThat(CairnClient.await(b.recipes().counters().add("hits", 2, 0)).value()).isEqualTo(7);
    CairnClient.await(a.leases().revoke(l1.id()));
    CairnClient.await(b.leases().revoke(l2.id()));
  }

  static Throwable cause(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
