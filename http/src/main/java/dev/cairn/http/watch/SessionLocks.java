package dev.cairn.http.watch;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.lock.Lock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The locks a connection's session holds, each bound to one of the session's leases: acquired with
 * the {@link Lock} recipe through a {@link CairnClient} of the connection's namespace, and watched
 * while held, so that the session is told {@code lock_lost} the moment the holder's key goes (its
 * lease expired or was revoked, or the key was deleted) instead of finding out at its next fenced
 * write. Confined to the connection's actor: requests return stages completing with a {@link
 * LockResult}, and the lock watches report through {@code toSelf}; the connection hands both back
 * to {@link #onResult} on its own thread.
 */
final class SessionLocks<T> {
  /** The outcome of a lock request, or news of a held lock, piped back to the connection. */
  sealed interface LockResult permits Locked, LockFailed, Unlocked, Gone {}

  record Locked(Lock.Grant grant) implements LockResult {}

  /** A lock or unlock request refused ({@code code}) or without an answer. */
  record LockFailed(String request, String name, ErrorCode code, String detail)
      implements LockResult {}

  record Unlocked(String name, long token) implements LockResult {}

  /** The key of a held lock was deleted (or its watch could not go on: {@code code}). */
  record Gone(String name, long token, ErrorCode code) implements LockResult {}

  private record Held(Lock.Grant grant, CairnClient.Watch watch) {}

  private final CairnClient client;
  private final Encoder<T> encoder;
  private final Consumer<LockResult> toSelf;
  private final Map<String, Held> held = new LinkedHashMap<>();

  /**
   * @param client the recipes' client of the connection's namespace; null when this server runs no
   *     recipes (every lock request is then refused with {@code unavailable})
   * @param toSelf delivers a result to the connection's actor (a {@code tell} to itself)
   */
  SessionLocks(CairnClient client, Encoder<T> encoder, Consumer<LockResult> toSelf) {
    this.client = client;
    this.encoder = encoder;
    this.toSelf = toSelf;
  }

  /** Acquires lock {@code name} for the session's {@code lease}, waiting up to {@code timeout}. */
  CompletionStage<LockResult> acquire(String name, long lease, Duration timeout) {
    if (client == null) {
      return failed("lock", name, ErrorCode.UNAVAILABLE, "locks are not served here");
    }
    return new Lock(client)
        .acquire(name, lease, timeout)
        .handle((g, e) -> e == null ? new Locked(g) : failure("lock", name, e));
  }

  /** Releases lock {@code name} held with {@code token}; it is no longer watched from now on. */
  CompletionStage<LockResult> release(String name, long token) {
    if (client == null) {
      return failed("unlock", name, ErrorCode.UNAVAILABLE, "locks are not served here");
    }
    Held h = held.get(name);
    Lock lock = new Lock(client);
    CompletionStage<Void> released;
    if (h != null && h.grant().fencingToken() == token) {
      held.remove(name);
      h.watch().cancel();
      released = lock.release(h.grant());
    } else {
      released = lock.release(name, token);
    }
    return released.handle(
        (v, e) -> e == null ? new Unlocked(name, token) : failure("unlock", name, e));
  }

  private static CompletionStage<LockResult> failed(
      String request, String name, ErrorCode code, String detail) {
    return java.util.concurrent.CompletableFuture.completedFuture(
        new LockFailed(request, name, code, detail));
  }

  private static LockResult failure(String request, String name, Throwable e) {
    ErrorCode code = CairnException.codeOf(e);
    Throwable cause =
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause()
            : e;
    return new LockFailed(
        request,
        name,
        code == null ? ErrorCode.UNAVAILABLE : code,
        String.valueOf(cause.getMessage()));
  }

  /** Takes in an outcome; returns the messages for the client (possibly none). */
  List<T> onResult(LockResult r) {
    List<T> out = new ArrayList<>(1);
    if (r instanceof Locked l) {
      Lock.Grant g = l.grant();
      Held before = held.remove(g.name());
      if (before != null) {
        before.watch().cancel(); // the same lock again (another grant): watch the new one
      }
      // From the grant on: any deletion of the holder's key is the loss of the lock.
      CairnClient.Watch w =
          client.watch(
              g.key(),
              g.fencingToken() + 1,
              e -> {
                if (e.type() == WatchEvent.Type.DELETE) {
                  toSelf.accept(new Gone(g.name(), g.fencingToken(), ErrorCode.LOCK_LOST));
                }
              },
              err -> {
                ErrorCode code = CairnException.codeOf(err);
                toSelf.accept(
                    new Gone(
                        g.name(), g.fencingToken(), code == null ? ErrorCode.LOCK_LOST : code));
              });
      held.put(g.name(), new Held(g, w));
      out.add(encoder.message(Map.of("locked", grant(g))));
    } else if (r instanceof LockFailed f) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", f.name());
      body.put("code", f.code().wire());
      body.put("detail", f.detail());
      out.add(encoder.message(Map.of(f.request() + "_failed", body)));
    } else if (r instanceof Unlocked u) {
      out.add(
          encoder.message(
              Map.of("unlocked", Map.of("name", u.name(), "fencing_token", u.token()))));
    } else if (r instanceof Gone g) {
      Held h = held.get(g.name());
      if (h != null && h.grant().fencingToken() == g.token()) {
        held.remove(g.name());
        h.watch().cancel();
        Map<String, Object> body = new LinkedHashMap<>(grant(h.grant()));
        body.put("code", g.code().wire());
        out.add(encoder.message(Map.of("lock_lost", body)));
      }
    } else {
      throw new IllegalStateException("unhandled " + r);
    }
    return out;
  }

  private static Map<String, Object> grant(Lock.Grant g) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", g.name());
    m.put("key", g.key());
    m.put("fencing_token", g.fencingToken());
    m.put("lease", g.lease());
    return m;
  }

  /** The connection closes: its lock watches stop (the locks stay held until the lease ends). */
  void stop() {
    new HashMap<>(held).values().forEach(h -> h.watch().cancel());
    held.clear();
  }
}
