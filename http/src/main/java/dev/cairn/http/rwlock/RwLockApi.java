package dev.cairn.http.rwlock;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.Waiting;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.rwlock.RwLock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /rwlocks/{name}} in one namespace: the {@link RwLock} recipe run through an
 * {@link InProcessClient}. Waits are bounded as a lock's (see {@link Waiting}).
 */
public final class RwLockApi {
  private final ActorSystem system;
  private final Namespaces namespaces;

  public RwLockApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace());
  }

  /** {@code name} is the decoded path after {@code rwlocks/}; it may contain '/'. */
  public CompletionStage<HttpResponse> handle(Request r, String name) {
    if (name.isEmpty()) {
      throw new ApiException(
          ErrorCode.NOT_FOUND, "a read-write lock needs a name: /v1/rwlocks/{name}");
    }
    var m = r.method();
    if (m == HttpMethods.POST) {
      return acquire(r, name);
    } else if (m == HttpMethods.DELETE) {
      long token = Waiting.token(r);
      return new RwLock(client(r))
          .release(name, token)
          .thenApply(
              g ->
                  Responses.json(
                      200, new RwLockBodies.RwLockReleased(name, g.mode().wire(), token), token));
    } else if (m == HttpMethods.GET) {
      return new RwLock(client(r))
          .status(name)
          .thenApply(s -> Responses.json(200, RwLockBodies.RwLockStatus.of(name, s), s.revision()));
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST, DELETE");
  }

  private CompletionStage<HttpResponse> acquire(Request r, String name) {
    RwLockBodies.RwLockAcquireRequest body =
        Json.read(r.body(), RwLockBodies.RwLockAcquireRequest.class);
    RwLock.Mode mode;
    if ("read".equals(body.mode())) {
      mode = RwLock.Mode.READ;
    } else if ("write".equals(body.mode())) {
      mode = RwLock.Mode.WRITE;
    } else {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "mode must be \"read\" or \"write\", not " + body.mode());
    }
    Duration timeout = Waiting.timeout(body.timeoutMs());
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    CairnClient client = client(r);
    RwLock lock = new RwLock(client);
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        lease ->
            lock.acquire(name, mode, lease, timeout)
                .thenApply(g -> Responses.json(200, RwLockBodies.RwLockGrant.of(g), g.token())));
  }
}
