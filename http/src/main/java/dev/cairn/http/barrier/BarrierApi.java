package dev.cairn.http.barrier;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.Waiting;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.barrier.Barrier;
import dev.cairn.recipes.barrier.DoubleBarrier;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /barriers/{barrier}}, {@code …/enter} and {@code …/leave} (the {@link
 * DoubleBarrier}), and {@code …/hold} and {@code …/wait} (the simple {@link Barrier}), in one
 * namespace, run through an {@link InProcessClient}. A barrier name is one path segment ({@code /}
 * in it percent-encoded as {@code %2F}).
 */
public final class BarrierApi {
  private final ActorSystem system;
  private final Namespaces namespaces;

  public BarrierApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace());
  }

  /** {@code rest} is the path after {@code barriers/}, still percent-encoded, split at '/'. */
  public CompletionStage<HttpResponse> handle(Request r, List<String> rest) {
    if (rest.isEmpty() || rest.get(0).isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "a barrier needs a name: /v1/barriers/{barrier}");
    }
    String name = Request.decode(rest.get(0));
    var m = r.method();
    if (rest.size() == 1) {
      if (m == HttpMethods.GET) {
        return new DoubleBarrier(client(r))
            .status(name)
            .thenApply(
                s -> Responses.json(200, BarrierBodies.BarrierStatus.of(name, s), s.revision()));
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET");
    }
    if (rest.size() == 2 && (rest.get(1).equals("enter") || rest.get(1).equals("leave"))) {
      if (m != HttpMethods.POST) {
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
      }
      return rest.get(1).equals("enter") ? enter(r, name) : leave(r, name);
    }
    if (rest.size() == 2 && rest.get(1).equals("hold")) {
      if (m == HttpMethods.PUT) {
        return hold(r, name);
      } else if (m == HttpMethods.DELETE) {
        return new Barrier(client(r))
            .release(name)
            .thenCompose(
                released ->
                    new DoubleBarrier(client(r))
                        .status(name)
                        .thenApply(
                            s ->
                                Responses.json(
                                    200,
                                    new BarrierBodies.BarrierReleased(name, released, s.revision()),
                                    s.revision())));
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: PUT, DELETE");
    }
    if (rest.size() == 2 && rest.get(1).equals("wait")) {
      if (m != HttpMethods.POST) {
        throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
      }
      BarrierBodies.BarrierWaitRequest body =
          r.body().length == 0
              ? new BarrierBodies.BarrierWaitRequest(null)
              : Json.read(r.body(), BarrierBodies.BarrierWaitRequest.class);
      Duration timeout = Waiting.timeout(body.timeoutMs());
      return new Barrier(client(r))
          .await(name, timeout)
          .thenApply(rev -> Responses.json(200, new BarrierBodies.BarrierOpen(name, rev), rev));
    }
    throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + r.http().getUri().path());
  }

  private CompletionStage<HttpResponse> hold(Request r, String name) {
    BarrierBodies.BarrierHoldRequest body =
        r.body().length == 0
            ? new BarrierBodies.BarrierHoldRequest(null, null)
            : Json.read(r.body(), BarrierBodies.BarrierHoldRequest.class);
    CairnClient client = client(r);
    Barrier barrier = new Barrier(client);
    if (body.ttl() == null && body.lease() == null) {
      return barrier
          .hold(name, 0)
          .thenApply(rev -> Responses.json(200, new BarrierBodies.BarrierHeld(name, 0, rev), rev));
    }
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        l ->
            barrier
                .hold(name, l)
                .thenApply(
                    rev -> Responses.json(200, new BarrierBodies.BarrierHeld(name, l, rev), rev)));
  }

  private CompletionStage<HttpResponse> enter(Request r, String name) {
    BarrierBodies.BarrierEnterRequest body =
        Json.read(r.body(), BarrierBodies.BarrierEnterRequest.class);
    if (body.count() == null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "an enter needs a member \"count\"");
    }
    if (body.count() < 1) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT, "count must be at least 1, not " + body.count());
    }
    Duration timeout = Waiting.timeout(body.timeoutMs());
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    CairnClient client = client(r);
    DoubleBarrier barrier = new DoubleBarrier(client);
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        l ->
            barrier
                .enter(name, l, body.count(), timeout)
                .thenApply(
                    e -> Responses.json(200, BarrierBodies.BarrierEntered.of(e), e.round())));
  }

  private CompletionStage<HttpResponse> leave(Request r, String name) {
    BarrierBodies.BarrierLeaveRequest body =
        Json.read(r.body(), BarrierBodies.BarrierLeaveRequest.class);
    if (body.lease() == null || body.lease() <= 0) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "a leave needs the member's \"lease\" (a positive id)");
    }
    Duration timeout = Waiting.timeout(body.timeoutMs());
    return new DoubleBarrier(client(r))
        .leave(name, body.lease(), timeout)
        .thenApply(
            rev ->
                Responses.json(200, new BarrierBodies.BarrierLeft(name, body.lease(), rev), rev));
  }
}
