package dev.cairn.http.semaphore;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.Waiting;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.semaphore.Semaphore;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /semaphores/{name}} in one namespace: the {@link Semaphore} recipe run
 * through an {@link InProcessClient}. Waits are bounded as a lock's (see {@link Waiting}).
 */
public final class SemaphoreApi {
  /**
   * The largest permit count: the first waiter watches every holder's key, so the count bounds the
   * watches one waiter opens.
   */
  public static final int MAX_PERMITS = 1000;

  private final ActorSystem system;
  private final Namespaces namespaces;

  public SemaphoreApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
  }

  private Semaphore semaphore(Request r) {
    return new Semaphore(client(r));
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace());
  }

  /** {@code name} is the decoded path after {@code semaphores/}; it may contain '/'. */
  public CompletionStage<HttpResponse> handle(Request r, String name) {
    if (name.isEmpty()) {
      throw new ApiException(
          ErrorCode.NOT_FOUND, "a semaphore needs a name: /v1/semaphores/{name}");
    }
    var m = r.method();
    if (m == HttpMethods.POST) {
      return acquire(r, name);
    } else if (m == HttpMethods.DELETE) {
      long token = Waiting.token(r);
      return semaphore(r)
          .release(name, token)
          .thenApply(
              g -> Responses.json(200, new SemaphoreBodies.SemaphoreReleased(name, token), token));
    } else if (m == HttpMethods.GET) {
      return semaphore(r)
          .status(name)
          .thenApply(
              s -> Responses.json(200, SemaphoreBodies.SemaphoreStatus.of(name, s), s.revision()));
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST, DELETE");
  }

  private CompletionStage<HttpResponse> acquire(Request r, String name) {
    SemaphoreBodies.SemaphoreAcquireRequest body =
        Json.read(r.body(), SemaphoreBodies.SemaphoreAcquireRequest.class);
    Integer permits = body.permits();
    if (permits != null && (permits < 1 || permits > MAX_PERMITS)) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT,
          "permits must be between 1 and " + MAX_PERMITS + ", not " + permits);
    }
    Duration timeout = Waiting.timeout(body.timeoutMs());
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    CairnClient client = client(r);
    Semaphore semaphore = new Semaphore(client);
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        lease ->
            semaphore
                .acquire(name, permits, lease, timeout)
                .thenApply(
                    g -> Responses.json(200, SemaphoreBodies.SemaphoreGrant.of(g), g.token())));
  }
}
