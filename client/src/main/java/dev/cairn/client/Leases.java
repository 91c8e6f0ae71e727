package dev.cairn.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Leases, kept alive by the client: a lease granted here (or handed to {@link #keepAlive}) is
 * renewed through the client's one session connection until it is revoked or {@link #stopKeepAlive
 * released}, across dropped connections and server restarts. A lease that is lost anyway (the
 * client could not reach any node for longer than its TTL, or someone revoked it) is reported to
 * every {@link LossListener} as a {@link LeaseLostException}, and never replaced silently.
 */
public final class Leases {
  /** A granted lease: its id and TTL. */
  public record Lease(long id, long ttlSeconds) {}

  /** Told when a lease the client kept alive is lost. Called on the client's executor. */
  @FunctionalInterface
  public interface LossListener {
    /** Lease {@link LeaseLostException#lease()} is gone, with every key bound to it. */
    void leaseLost(LeaseLostException lost);
  }

  private final Transport transport;
  private final String base;
  private final Session session;
  private final List<LossListener> listeners = new CopyOnWriteArrayList<>();

  Leases(Transport transport, String base, Session session) {
    this.transport = transport;
    this.base = base;
    this.session = session;
  }

  /**
   * Grants a lease of {@code ttl} (whole seconds, at least 1) and keeps it alive from then on. The
   * grant is safe to retry: the client picks the lease's id, so a grant retried after an unknown
   * outcome finds its own lease ({@code lease_exists}) instead of granting a second.
   */
  public CompletionStage<Lease> grant(Duration ttl) {
    long seconds = Math.max(1, ttl.toSeconds());
    return grantOnly(seconds)
        .thenApply(
            l -> {
              session.keepAlive(l.id(), l.ttlSeconds());
              return l;
            });
  }

  /**
   * Grants a lease of {@code ttl} that this client does <em>not</em> keep alive: it expires after
   * its TTL unless someone renews it (a lease a script hands to another process, {@code cairn lease
   * grant}). Safe to retry, as {@link #grant}.
   */
  public CompletionStage<Lease> grantUnkept(Duration ttl) {
    return grantOnly(Math.max(1, ttl.toSeconds()));
  }

  /** Grants a lease without keeping it alive (the recipes' own renewals). */
  CompletionStage<Lease> grantOnly(long ttlSeconds) {
    long id = ThreadLocalRandom.current().nextLong(1, 1L << 53);
    byte[] body = Json.write(java.util.Map.of("ttl", ttlSeconds, "id", id));
    return transport
        .send(
            new Transport.Call(
                "POST", base + "/leases", body, List.of("Content-Type", "application/json"), true))
        .handle(
            (a, e) -> {
              if (e != null) {
                Throwable c = Transport.unwrap(e);
                if (c instanceof ProblemException p && p.code().equals("lease_exists")) {
                  return new Lease(id, ttlSeconds); // our earlier attempt got through
                }
                throw Kv.wrap(c);
              }
              JsonNode j = a.json();
              return new Lease(j.path("id").asLong(), j.path("ttl").asLong());
            });
  }

  /** Keeps an existing lease alive from now on (one granted elsewhere, e.g. by another client). */
  public void keepAlive(Lease lease) {
    session.keepAlive(lease.id(), lease.ttlSeconds());
  }

  /** Stops renewing {@code lease}; it then expires after its TTL unless revoked. */
  public void stopKeepAlive(long lease) {
    session.forget(lease);
  }

  /** Whether the client is keeping {@code lease} alive. */
  public boolean isKeptAlive(long lease) {
    return session.keepsAlive(lease);
  }

  /** How many leases the client keeps alive. */
  public int keptAlive() {
    return session.leaseCount();
  }

  /** Renews {@code lease} once, by request; completes with its TTL. */
  public CompletionStage<Long> keepAliveOnce(long lease) {
    return transport
        .send(
            new Transport.Call(
                "POST", base + "/leases/" + lease + "/keepalive", null, List.of(), true))
        .thenApply(a -> a.json().path("ttl").asLong());
  }

  /** Seconds {@code lease} has left; fails with {@code lease_not_found} when it is gone. */
  public CompletionStage<Long> timeToLive(long lease) {
    return transport
        .send(Transport.Call.get(base + "/leases/" + lease))
        .thenApply(a -> a.json().path("ttl").asLong());
  }

  /** The ids of every lease of the namespace, in id order. */
  public CompletionStage<List<Long>> list() {
    return transport
        .send(Transport.Call.get(base + "/leases"))
        .thenApply(
            a -> {
              List<Long> ids = new java.util.ArrayList<>();
              for (JsonNode l : a.json().path("leases")) {
                ids.add(l.path("id").asLong());
              }
              java.util.Collections.sort(ids);
              return ids;
            });
  }

  /**
   * Revokes {@code lease}, deleting every key bound to it; completes with how many were deleted.
   * The client stops keeping it alive first, so its revocation is not reported as a loss.
   */
  public CompletionStage<Long> revoke(long lease) {
    session.forget(lease);
    return transport
        .send(new Transport.Call("DELETE", base + "/leases/" + lease, null, List.of(), true))
        .thenApply(a -> a.json().path("deleted").asLong());
  }

  /** Adds a listener told of every lost lease; returns a handle that removes it. */
  public AutoCloseable onLoss(LossListener l) {
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  void lost(LeaseLostException e) {
    for (LossListener l : listeners) {
      try {
        l.leaseLost(e);
      } catch (RuntimeException bug) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, bug);
      }
    }
  }
}
