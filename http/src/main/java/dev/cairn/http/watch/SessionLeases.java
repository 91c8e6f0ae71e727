package dev.cairn.http.watch;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The leases of a connection's session: granted or attached on the connection and kept alive by the
 * server as long as the client's messages (any, e.g. heartbeats) keep arriving within the lease's
 * TTL. When the client vanishes, keepalives stop and its leases expire after their TTL. Confined to
 * the connection's actor: a request returns a stage completing with a {@link LeaseResult}, which
 * the connection hands back to {@link #onResult} on its own thread.
 */
final class SessionLeases<T> {
  /** The outcome of a session's lease request, piped back to the connection. */
  sealed interface LeaseResult
      permits LeaseGranted, LeaseAttached, LeaseRevoked, LeasesRenewed, LeaseFailed {}

  record LeaseGranted(Reply reply) implements LeaseResult {}

  record LeaseAttached(Reply.KeepAliveResult reply) implements LeaseResult {}

  record LeaseRevoked(Reply reply) implements LeaseResult {}

  /** The answer to renewing the session's due leases; a renewal that got none is retried later. */
  record LeasesRenewed(Reply.KeepAliveManyResult reply) implements LeaseResult {}

  /**
   * A request that got no answer; {@code request} names it to the client (null for a renewal: the
   * next client message retries it).
   */
  record LeaseFailed(String request, Throwable cause) implements LeaseResult {}

  private record SessionLease(long id, long ttlSeconds) {}

  /** When a session lease is next due for renewal; stale entries are skipped when popped. */
  private record Renewal(long dueNanos, long id) {}

  private final Namespaces namespaces;
  private final String namespace;
  private final Encoder<T> encoder;
  private final Map<Long, SessionLease> leases = new LinkedHashMap<>();
  private final PriorityQueue<Renewal> renewals =
      new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos(), b.dueNanos()));

  SessionLeases(Namespaces namespaces, String namespace, Encoder<T> encoder) {
    this.namespaces = namespaces;
    this.namespace = namespace;
    this.encoder = encoder;
  }

  /** Whether {@code id} is one of the session's leases (granted or attached, not known gone). */
  boolean holds(long id) {
    return leases.containsKey(id);
  }

  /** The session's first lease still held, or 0 when it has none. */
  long first() {
    return leases.isEmpty() ? 0 : leases.keySet().iterator().next();
  }

  CompletionStage<LeaseResult> grant(long ttlSeconds, long id) {
    return result(
        "lease grant",
        namespaces.write(namespace, new Command.GrantLease(id, ttlSeconds)),
        LeaseGranted::new);
  }

  CompletionStage<LeaseResult> attach(long id) {
    return result(
        "lease attach",
        namespaces.ask(namespace, new NamespaceLeader.KeepAlive(id)),
        LeaseAttached::new);
  }

  CompletionStage<LeaseResult> revoke(long id) {
    leases.remove(id);
    return result(
        "lease revoke",
        namespaces.write(namespace, new Command.RevokeLease(id)),
        LeaseRevoked::new);
  }

  /** {@code reply} as a {@link LeaseResult}; a failure (no answer) as {@link LeaseFailed}. */
  private static <R> CompletionStage<LeaseResult> result(
      String request, CompletionStage<R> reply, Function<R, LeaseResult> answered) {
    return reply.handle((r, e) -> e == null ? answered.apply(r) : new LeaseFailed(request, e));
  }

  /**
   * Renews, in one request, each lease due (a third of its TTL since its last renewal); null when
   * none is due. Called on every client message and only then: a renewal never outlives the
   * client's last message by more than the TTL, so a client that vanished or went silent on an open
   * socket loses its leases one TTL after its last message (a timer renewing while the client had
   * spoken within the TTL let them live up to two TTLs).
   */
  CompletionStage<LeaseResult> keepAliveDue() {
    if (leases.isEmpty()) {
      return null;
    }
    long now = System.nanoTime();
    List<Long> due = new ArrayList<>();
    // Only the leases that are due are touched: a message costs O(due log n), not a scan.
    while (!renewals.isEmpty() && renewals.peek().dueNanos() - now <= 0) {
      long id = renewals.poll().id();
      SessionLease l = leases.get(id);
      if (l != null) {
        due.add(id);
        renewals.add(new Renewal(now + thirdOf(l.ttlSeconds()), id));
      }
    }
    if (due.isEmpty()) {
      return null;
    }
    return result(
        null,
        namespaces.ask(namespace, new NamespaceLeader.KeepAliveMany(due)),
        LeasesRenewed::new);
  }

  /** Takes in an outcome; returns the messages for the client (possibly none). */
  List<T> onResult(LeaseResult r) {
    List<T> out = new ArrayList<>(1);
    if (r instanceof LeaseFailed f) {
      if (f.request() != null) {
        out.add(encoder.error(ErrorCode.UNAVAILABLE.wire(), f.request() + " failed: " + f.cause()));
      }
    } else if (r instanceof LeasesRenewed n) {
      if (n.reply() instanceof Reply.KeepAliveManyReply k) {
        for (long id : k.missing()) {
          if (leases.remove(id) != null) {
            out.add(encoder.message(Map.of("lease_expired", Map.of("id", id))));
          }
        }
      } else {
        out.add(rejected(n.reply()));
      }
    } else if (r instanceof LeaseGranted g) {
      if (g.reply() instanceof Reply.LeaseGrantReply granted) {
        add(granted.id(), granted.ttlSeconds());
        out.add(
            encoder.message(
                Map.of(
                    "lease_granted",
                    Map.of(
                        "id",
                        granted.id(),
                        "ttl",
                        granted.ttlSeconds(),
                        "revision",
                        granted.revision()))));
      } else {
        out.add(rejected(g.reply()));
      }
    } else if (r instanceof LeaseAttached a) {
      if (a.reply() instanceof Reply.KeepAliveReply k) {
        add(k.id(), k.ttlSeconds());
        out.add(
            encoder.message(Map.of("lease_attached", Map.of("id", k.id(), "ttl", k.ttlSeconds()))));
      } else {
        out.add(rejected(a.reply()));
      }
    } else if (r instanceof LeaseRevoked v) {
      if (v.reply() instanceof Reply.LeaseRevokeReply revoked) {
        out.add(
            encoder.message(
                Map.of(
                    "lease_revoked", Map.of("id", revoked.id(), "revision", revoked.revision()))));
      } else {
        out.add(rejected(v.reply()));
      }
    } else {
      throw new IllegalStateException("unhandled " + r);
    }
    return out;
  }

  /** A lease request refused: the client gets the refusal. */
  private T rejected(Reply reply) {
    if (reply instanceof Reply.Rejected rj) {
      return encoder.error(rj.code().wire(), rj.rejection().detail());
    }
    throw new IllegalStateException("unhandled " + reply);
  }

  private void add(long id, long ttl) {
    leases.put(id, new SessionLease(id, ttl));
    renewals.add(new Renewal(System.nanoTime() + thirdOf(ttl), id));
  }

  private static long thirdOf(long ttlSeconds) {
    return Duration.ofSeconds(ttlSeconds).toNanos() / 3;
  }
}
