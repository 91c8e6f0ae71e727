package dev.cairn.recipes.services;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.recipes.KeyspaceClient;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.services.ServiceRegistry.Registration;
import dev.cairn.recipes.services.ServiceRegistry.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two checkers of one namespace (two nodes, in effect) against core's state machine: only the lock
 * holder checks, and the next takes over when the holder's lease ends.
 */
@Timeout(60)
class HealthCheckerTest {
  private final KeyspaceClient client = new KeyspaceClient();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final ServiceRegistry registry = new ServiceRegistry(client);
  private final AtomicReference<Status> answer = new AtomicReference<>(Status.PASSING);

  private HealthChecker checker() {
    return new HealthChecker(
        client,
        (url, timeout) ->
            CompletableFuture.completedFuture(new HealthChecker.Result(answer.get(), "fake")),
        executor,
        Clock.systemUTC(),
        5,
        msg -> {},
        () -> {});
  }

  @AfterEach
  void close() {
    executor.shutdownNow();
    client.close();
  }

  private Status status(String svc, String id) {
    return registry.instances(svc).toCompletableFuture().join().instances().stream()
        .filter(i -> i.id().equals(id))
        .findFirst()
        .orElseThrow()
        .status();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10); // the poll interval of a real condition, not a synchronisation sleep
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void onlyTheLockHolderProbesAndTheNextTakesOverWhenItsLeaseEnds() {
    HealthChecker a = checker();
    HealthChecker b = checker();
    a.start();
    b.start();
    await("one checker active", () -> a.active() || b.active());
    HealthChecker first = a.active() ? a : b;
    HealthChecker second = first == a ? b : a;
    registry
        .register(
            "web",
            "w1",
            new Registration(
                "h",
                80,
                List.of(),
                Map.of(),
                List.of(new ServiceRegistry.Http("http://h/health", 100, 50)),
                0,
                0))
        .toCompletableFuture()
        .join();
    await("passing", () -> status("web", "w1") == Status.PASSING);
    await("five probes", () -> first.probes() >= 5);
    assertThat(second.active()).isFalse();
    assertThat(second.probes()).isZero();
    assertThat(first.statusWrites()).isEqualTo(1); // the change to passing; the rest wrote nothing

    // The holder's node dies: its lease expires, and the lock passes on.
    Lock.State lock = new Lock(client).status(HealthChecker.LOCK).toCompletableFuture().join();
    client.expire(lock.holder().lease());
    await("the second checker active", second::active);
    answer.set(Status.CRITICAL);
    await("critical", () -> status("web", "w1") == Status.CRITICAL);
    await("the write counted", () -> second.statusWrites() == 1);
    await("the first checker stepped down", () -> !first.active());
    long before = first.probes();
    long probes = second.probes();
    await("the second keeps probing", () -> second.probes() >= probes + 3);
    assertThat(first.probes()).isEqualTo(before);
    assertThat(second.statusWrites()).isEqualTo(1); // probes that agree write nothing
    assertThat(first.active()).isFalse();
  }

  @Test
  void aPausedCheckerWhoseLeaseEndedCannotWriteWhenItWakes() throws Exception {
    ScheduledExecutorService frozen = Executors.newSingleThreadScheduledExecutor();
    ScheduledExecutorService other = Executors.newSingleThreadScheduledExecutor();
    try {
      // The paused node still sees its endpoint passing; the new checker sees it critical.
      // A long lease: its renewal comes too late to tell it; only the fence can stop its write.
      HealthChecker a = fixed(frozen, Status.PASSING, 30);
      a.start();
      await("the first checker active", a::active);
      HealthChecker b = fixed(other, Status.CRITICAL, 5);
      b.start();
      registry
          .register(
              "web",
              "w1",
              new Registration(
                  "h",
                  80,
                  List.of(),
                  Map.of(),
                  List.of(new ServiceRegistry.Http("http://h/health", 100, 50)),
                  0,
                  0))
          .toCompletableFuture()
          .join();
      await("passing", () -> status("web", "w1") == Status.PASSING);
      await("the write counted", () -> a.statusWrites() == 1);
      long written = a.statusWrites();
      // SIGSTOP, in effect: the first checker's thread is held; its lease expires meanwhile.
      java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
      frozen.execute(
          () -> {
            try {
              resume.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      Lock.State lock = new Lock(client).status(HealthChecker.LOCK).toCompletableFuture().join();
      client.expire(lock.holder().lease());
      await("the second checker active", b::active);
      await("critical", () -> status("web", "w1") == Status.CRITICAL);
      // SIGCONT: it probes "passing" against the critical state and tries to write it.
      long probes = a.probes();
      resume.countDown();
      await(
          "the first checker probed again or stepped down",
          () -> a.probes() > probes || !a.active());
      await("the first checker stepped down", () -> !a.active());
      assertThat(a.statusWrites()).as("writes of the paused checker").isEqualTo(written);
      assertThat(status("web", "w1")).isEqualTo(Status.CRITICAL);
    } finally {
      frozen.shutdownNow();
      other.shutdownNow();
    }
  }

  private HealthChecker fixed(ScheduledExecutorService on, Status result, long leaseTtl) {
    return new HealthChecker(
        client,
        (url, timeout) ->
            CompletableFuture.completedFuture(new HealthChecker.Result(result, "fixed")),
        on,
        Clock.systemUTC(),
        leaseTtl,
        msg -> {},
        () -> {});
  }

  @Test
  void aTtlCheckWhoseLeaseExpiresTurnsCritical() {
    HealthChecker c = checker();
    c.start();
    await("active", c::active);
    registry
        .register(
            "batch",
            "b1",
            new Registration(
                "h", 80, List.of(), Map.of(), List.of(new ServiceRegistry.Ttl(10_000)), 0, 0))
        .toCompletableFuture()
        .join();
    registry.report("batch", "b1", Status.PASSING, null).toCompletableFuture().join();
    assertThat(status("batch", "b1")).isEqualTo(Status.PASSING);
    long ttlLease =
        client
            .get(ServiceRegistry.ttlKey("batch", "b1", 0))
            .toCompletableFuture()
            .join()
            .orElseThrow()
            .lease();
    client.expire(ttlLease); // the TTL passes without a report
    await("critical", () -> status("batch", "b1") == Status.CRITICAL);
    // A report starts the TTL again.
    registry.report("batch", "b1", Status.PASSING, null).toCompletableFuture().join();
    assertThat(status("batch", "b1")).isEqualTo(Status.PASSING);
  }
}
