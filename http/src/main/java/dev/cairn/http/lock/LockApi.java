package dev.cairn.http.lock;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.http.watch.WatchSettings;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.lock.Lock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /locks/{name}} in one namespace: the {@link Lock} recipe run through an
 * {@link InProcessClient}.
 */
public final class LockApi {
  /**
   * The longest wait for a lock, and the wait when none is given: below the server's request
   * timeout (30 s), so a waiter always gets its {@code lock_timeout} and leaves the queue.
   */
  public static final long MAX_TIMEOUT_MS = 25_000;

  /**
   * How many grants {@link #grants} remembers at most; past it, it starts again empty (a release of
   * a forgotten grant reads the queue first, as a release on another node does).
   */
  static final int MAX_REMEMBERED_GRANTS = 65_536;

  private final ActorSystem system;
  private final Namespaces namespaces;
  private final WatchSettings watchSettings;

  /** The grants made here and not yet released here: their release needs no read first. */
  private final RecentGrants grants = new RecentGrants(MAX_REMEMBERED_GRANTS);

  public LockApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
    this.watchSettings = WatchSettings.fromConfig(system.settings().config());
  }

  private Lock lock(Request r) {
    return new Lock(client(r));
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace(), watchSettings);
  }

  /** {@code name} is the decoded path after {@code locks/}; it may contain '/'. */
  public CompletionStage<HttpResponse> handle(Request r, String name) {
    if (name.isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "a lock needs a name: /v1/locks/{name}");
    }
    var m = r.method();
    if (m == HttpMethods.POST) {
      return acquire(r, name);
    } else if (m == HttpMethods.DELETE) {
      return release(r, name);
    } else if (m == HttpMethods.GET) {
      return lock(r)
          .status(name)
          .thenApply(s -> Responses.json(200, LockBodies.LockStatus.of(name, s), s.revision()));
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST, DELETE");
  }

  private CompletionStage<HttpResponse> acquire(Request r, String name) {
    LockBodies.LockAcquireRequest body = Json.read(r.body(), LockBodies.LockAcquireRequest.class);
    if ((body.ttl() == null) == (body.lease() == null)) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "give exactly one of ttl (seconds) and lease (a lease id)");
    }
    long timeoutMs = body.timeoutMs() == null ? MAX_TIMEOUT_MS : body.timeoutMs();
    if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT,
          "timeout_ms must be between 0 and " + MAX_TIMEOUT_MS + ", not " + timeoutMs);
    }
    if (body.lease() != null && body.lease() <= 0) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "lease must be a positive lease id");
    }
    CairnClient client = client(r);
    Lock lock = new Lock(client);
    Duration timeout = Duration.ofMillis(timeoutMs);
    if (body.lease() != null) {
      return lock.acquire(name, body.lease(), timeout).thenApply(g -> granted(r, g));
    }
    return client
        .grantLease(body.ttl())
        .thenCompose(
            lease ->
                lock.acquire(name, lease, timeout)
                    .handle(
                        (g, err) -> {
                          if (err == null) {
                            return CompletableFuture.completedFuture(granted(r, g));
                          }
                          // The lease was made for this lock only: it goes with the failed wait.
                          return client
                              .revokeLease(lease)
                              .handle((keys, e) -> (HttpResponse) rethrow(err));
                        })
                    .thenCompose(s -> s));
  }

  private static HttpResponse rethrow(Throwable t) {
    if (t instanceof RuntimeException e) {
      throw e;
    }
    throw new java.util.concurrent.CompletionException(t);
  }

  private HttpResponse granted(Request r, Lock.Grant g) {
    grants.remember(r.namespace(), g);
    return Responses.json(200, LockBodies.LockGrant.of(g), g.fencingToken());
  }

  private CompletionStage<HttpResponse> release(Request r, String name) {
    String raw =
        r.param("token")
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.MALFORMED_REQUEST, "a release needs ?token=<fencing_token>"));
    long token;
    try {
      token = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "token must be an integer, not '" + raw + "'");
    }
    Lock.Grant granted = grants.take(r.namespace(), name, token);
    Lock lock = lock(r);
    return (granted != null ? lock.release(granted) : lock.release(name, token))
        .thenApply(v -> Responses.json(200, new LockBodies.LockReleased(name, token), token));
  }
}
