package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.recipes.barrier.Barrier;
import dev.cairn.recipes.barrier.DoubleBarrier;
import dev.cairn.recipes.counter.Counter;
import dev.cairn.recipes.election.Election;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.queue.Queue;
import dev.cairn.recipes.rwlock.RwLock;
import dev.cairn.recipes.semaphore.Semaphore;
import dev.cairn.recipes.services.ServiceRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The recipes over this client: the same code the server runs for {@code /v1/locks} and the other
 * recipe endpoints ({@code recipes/}), on {@link CairnClient#keyspace()}.
 *
 * <p>{@link #lock} and {@link #campaign} also manage the lease: they grant one the client keeps
 * alive, and hand back an {@link AutoCloseable} that releases and revokes it. The other recipes
 * ({@link #readWriteLocks()}, {@link #semaphores()}, …) are the recipe objects themselves, used
 * with a lease of {@link Leases#grant}; {@link #onLeaseLost} ties anything to a lease's loss.
 */
public final class Recipes {
  private final CairnClient client;
  private final Map<Long, List<Consumer<LeaseLostException>>> dependents =
      new ConcurrentHashMap<>();

  Recipes(CairnClient client) {
    this.client = client;
    client
        .leases()
        .onLoss(
            e -> {
              List<Consumer<LeaseLostException>> ds = dependents.remove(e.lease());
              if (ds != null) {
                ds.forEach(d -> d.accept(e));
              }
            });
  }

  /**
   * Tells {@code dependent} when lease {@code lease} (kept alive by this client) is lost. Every
   * lock and leadership held through this object is registered this way.
   */
  public void onLeaseLost(long lease, Consumer<LeaseLostException> dependent) {
    dependents.computeIfAbsent(lease, l -> new CopyOnWriteArrayList<>()).add(dependent);
    if (!client.leases().isKeptAlive(lease)) {
      dependents.remove(lease);
      dependent.accept(new LeaseLostException(lease, "the client does not keep it alive"));
    }
  }

  /**
   * Acquires lock {@code name} with a new lease of {@code ttl}, waiting up to {@code timeout}
   * (fails with {@code lock_timeout}; the lease is then revoked).
   */
  public CompletionStage<HeldLock> lock(String name, Duration ttl, Duration timeout) {
    return client
        .leases()
        .grant(ttl)
        .thenCompose(
            lease ->
                withLease(
                    lease.id(),
                    new Lock(client.keyspace()).acquire(name, lease.id(), timeout),
                    g -> {
                      HeldLock h = new HeldLock(client, g, true);
                      onLeaseLost(lease.id(), h::leaseLost);
                      return h;
                    }));
  }

  /**
   * Campaigns in election {@code name} with {@code value} and a new lease of {@code ttl}; completes
   * when this client leads, or fails with {@code campaign_timeout} after {@code timeout}.
   */
  public CompletionStage<Leadership> campaign(
      String name, Bytes value, Duration ttl, Duration timeout) {
    return client
        .leases()
        .grant(ttl)
        .thenCompose(
            lease ->
                withLease(
                    lease.id(),
                    new Election(client.keyspace()).campaign(name, lease.id(), value, timeout),
                    l -> {
                      Leadership ship = new Leadership(client, l, true);
                      onLeaseLost(lease.id(), ship::leaseLost);
                      return ship;
                    }));
  }

  /**
   * Observes election {@code name}: every change of leader and every proclaimed value, in order.
   */
  public Watch observe(String name, Consumer<Election.Observation> listener) {
    dev.cairn.recipes.CairnClient.Watch w =
        new Election(client.keyspace()).observe(name, listener, e -> {});
    return new Watch() {
      @Override
      public void cancel() {
        w.cancel();
      }

      @Override
      public long nextRevision() {
        return 0;
      }
    };
  }

  /** {@code acquired}, mapped; on failure the lease is revoked and the failure passed on. */
  private <G, T> CompletionStage<T> withLease(
      long lease, CompletionStage<G> acquired, java.util.function.Function<G, T> held) {
    CompletableFuture<T> out = new CompletableFuture<>();
    acquired.whenComplete(
        (g, e) -> {
          if (e == null) {
            out.complete(held.apply(g));
          } else {
            client
                .leases()
                .revoke(lease)
                .whenComplete((n, ignored) -> out.completeExceptionally(e));
          }
        });
    return out;
  }

  /** Locks by name, for a lease of your own ({@link Lock}). */
  public Lock locks() {
    return new Lock(client.keyspace());
  }

  /** Read-write locks ({@link RwLock}). */
  public RwLock readWriteLocks() {
    return new RwLock(client.keyspace());
  }

  /** Semaphores ({@link Semaphore}). */
  public Semaphore semaphores() {
    return new Semaphore(client.keyspace());
  }

  /** Elections, for a lease of your own ({@link Election}). */
  public Election elections() {
    return new Election(client.keyspace());
  }

  /** Simple barriers ({@link Barrier}). */
  public Barrier barriers() {
    return new Barrier(client.keyspace());
  }

  /** Double barriers ({@link DoubleBarrier}). */
  public DoubleBarrier doubleBarriers() {
    return new DoubleBarrier(client.keyspace());
  }

  /** FIFO work queues ({@link Queue}). */
  public Queue queues() {
    return new Queue(client.keyspace());
  }

  /** Atomic counters ({@link Counter}). */
  public Counter counters() {
    return new Counter(client.keyspace());
  }

  /** Service registration and discovery ({@link ServiceRegistry}). */
  public ServiceRegistry services() {
    return new ServiceRegistry(client.keyspace());
  }
}
