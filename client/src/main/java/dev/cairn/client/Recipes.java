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
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The recipes over this client: the same code the server runs for {@code /v1/locks} and the other
 * recipe endpoints ({@code recipes/}), on {@link CairnClient#keyspace()}.
 *
 * <p>{@link #lock}, {@link #campaign}, {@link #readWriteLock}, {@link #acquirePermit}, {@link
 * #holdBarrier}, {@link #enterBarrier}, {@link #take} and {@link #register} also manage the lease:
 * they grant one the client keeps alive and hand back a {@link LeaseBound} that reports the lease's
 * loss as {@link LeaseLostException} ({@link LeaseBound#lost()}) and, closed, lets go and revokes
 * it. The recipe objects themselves ({@link #readWriteLocks()}, {@link #semaphores()}, …) are there
 * for a lease of your own ({@link Leases#grant}); {@link #onLeaseLost} ties anything to a lease's
 * loss.
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
   * recipe object held through this object ({@link LeaseBound}) is registered this way.
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
    return hold(
        ttl,
        lease -> new Lock(client.keyspace()).acquire(name, lease, timeout),
        (lease, g) -> new HeldLock(client, g, true));
  }

  /**
   * Campaigns in election {@code name} with {@code value} and a new lease of {@code ttl}; completes
   * when this client leads, or fails with {@code campaign_timeout} after {@code timeout}.
   */
  public CompletionStage<Leadership> campaign(
      String name, Bytes value, Duration ttl, Duration timeout) {
    return hold(
        ttl,
        lease -> new Election(client.keyspace()).campaign(name, lease, value, timeout),
        (lease, l) -> new Leadership(client, l, true));
  }

  /**
   * Acquires read-write lock {@code name} in {@code mode} with a new lease of {@code ttl}, waiting
   * up to {@code timeout} ({@link RwLock#acquire}). Closing releases it and revokes the lease.
   */
  public CompletionStage<Held<RwLock.Grant>> readWriteLock(
      String name, RwLock.Mode mode, Duration ttl, Duration timeout) {
    RwLock rw = readWriteLocks();
    return hold(
        ttl,
        lease -> rw.acquire(name, mode, lease, timeout),
        (lease, g) -> held(lease, g, x -> rw.release(name, x.token())));
  }

  /**
   * Acquires a permit of semaphore {@code name} with a new lease of {@code ttl}, waiting up to
   * {@code timeout} ({@link Semaphore#acquire}; {@code permits} creates it). Closing releases the
   * permit and revokes the lease.
   */
  public CompletionStage<Held<Semaphore.Grant>> acquirePermit(
      String name, Integer permits, Duration ttl, Duration timeout) {
    Semaphore sem = semaphores();
    return hold(
        ttl,
        lease -> sem.acquire(name, permits, lease, timeout),
        (lease, g) -> held(lease, g, x -> sem.release(name, x.token())));
  }

  /**
   * Holds barrier {@code name} with a new lease of {@code ttl} ({@link Barrier#hold}); the value is
   * the hold's revision. If the lease is lost the barrier falls and the waiters go on: the holder
   * learns it from {@link Held#lost()}. Closing releases the barrier and revokes the lease.
   */
  public CompletionStage<Held<Long>> holdBarrier(String name, Duration ttl) {
    Barrier b = barriers();
    return hold(
        ttl, lease -> b.hold(name, lease), (lease, r) -> held(lease, r, x -> b.release(name)));
  }

  /**
   * Enters double barrier {@code name} as a member with a new lease of {@code ttl}, expecting
   * {@code count} members, waiting up to {@code timeout} ({@link DoubleBarrier#enter}). A member
   * whose lease is lost no longer counts: {@link Held#lost()} says so. Closing leaves (waiting up
   * to {@code timeout} for the others, {@link DoubleBarrier#leave}) and revokes the lease.
   */
  public CompletionStage<Held<DoubleBarrier.Entered>> enterBarrier(
      String name, int count, Duration ttl, Duration timeout) {
    DoubleBarrier db = doubleBarriers();
    return hold(
        ttl,
        lease -> db.enter(name, lease, count, timeout),
        (lease, e) -> held(lease, e, x -> db.leave(name, x.lease(), timeout)));
  }

  /**
   * Takes the next item of queue {@code name}, claimed with a new lease of {@code ttl}, waiting up
   * to {@code timeout} ({@link Queue#take}). Acknowledge it with {@link Queue#ack} ({@code
   * queues().ack(name, d.id(), d.token())}) once done; if the lease is lost first, the claim is
   * gone and the item goes to another consumer: {@link Held#lost()} says so. Closing revokes the
   * lease, which returns an item not acknowledged to the queue.
   */
  public CompletionStage<Held<Queue.Delivery>> take(String name, Duration ttl, Duration timeout) {
    Queue q = queues();
    return hold(
        ttl,
        lease -> q.take(name, lease, timeout),
        (lease, d) -> held(lease, d, x -> CompletableFuture.completedFuture(null)));
  }

  /**
   * Registers instance {@code id} of {@code service} with its keys bound to a new lease of {@code
   * ttl} (the registration's own lease is replaced by it; {@link ServiceRegistry#register}); the
   * value is the registration's revision. If the lease is lost the instance is gone from discovery:
   * {@link Held#lost()} says so. Closing deregisters it and revokes the lease.
   */
  public CompletionStage<Held<Long>> register(
      String service, String id, ServiceRegistry.Registration reg, Duration ttl) {
    ServiceRegistry sr = services();
    return hold(
        ttl,
        lease ->
            sr.register(
                service,
                id,
                new ServiceRegistry.Registration(
                    reg.address(),
                    reg.port(),
                    reg.tags(),
                    reg.meta(),
                    reg.checks(),
                    reg.deregisterAfterMs(),
                    lease)),
        (lease, r) -> held(lease, r, x -> sr.deregister(service, id)));
  }

  private <G> Held<G> held(long lease, G value, Function<G, CompletionStage<?>> letGo) {
    return new Held<>(client, lease, true, value, letGo);
  }

  /**
   * The one way every recipe above holds something by a lease: grants a lease of {@code ttl} (kept
   * alive by the client), acquires with it, wraps the grant and ties it to the lease's loss ({@link
   * #onLeaseLost}). If the acquisition fails, the lease is revoked and the failure passed on.
   */
  private <G, T extends LeaseBound> CompletionStage<T> hold(
      Duration ttl, Function<Long, CompletionStage<G>> acquire, BiFunction<Long, G, T> wrap) {
    return client
        .leases()
        .grant(ttl)
        .thenCompose(
            lease -> {
              CompletableFuture<T> out = new CompletableFuture<>();
              acquire
                  .apply(lease.id())
                  .whenComplete(
                      (g, e) -> {
                        if (e == null) {
                          T held = wrap.apply(lease.id(), g);
                          onLeaseLost(lease.id(), held::leaseLost);
                          out.complete(held);
                        } else {
                          client
                              .leases()
                              .revoke(lease.id())
                              .whenComplete((n, ignored) -> out.completeExceptionally(e));
                        }
                      });
              return out;
            });
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
