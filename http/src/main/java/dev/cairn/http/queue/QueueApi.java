package dev.cairn.http.queue;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.Waiting;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.queue.Queue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /queues/{queue}}, {@code /queues/{queue}/take} and {@code
 * /queues/{queue}/claims/{id}} in one namespace: the {@link Queue} recipe run through an {@link
 * InProcessClient}. A queue name is one path segment ({@code /} in it percent-encoded as {@code
 * %2F}).
 */
public final class QueueApi {
  /** The most items {@code GET} lists, and the number it lists when not told. */
  static final long MAX_LIST = 1000;

  static final long DEFAULT_LIST = 100;

  private final ActorSystem system;
  private final Namespaces namespaces;

  public QueueApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
  }

  private CairnClient client(Request r) {
    return new InProcessClient(system, namespaces, r.namespace());
  }

  /** {@code rest} is the path after {@code queues/}, still percent-encoded, split at '/'. */
  public CompletionStage<HttpResponse> handle(Request r, List<String> rest) {
    if (rest.isEmpty() || rest.get(0).isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "a queue needs a name: /v1/queues/{queue}");
    }
    String name = Request.decode(rest.get(0));
    var m = r.method();
    if (rest.size() == 1) {
      if (m == HttpMethods.POST) {
        return push(r, name);
      } else if (m == HttpMethods.GET) {
        return status(r, name);
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST");
    }
    if (rest.size() == 2 && rest.get(1).equals("take")) {
      if (m == HttpMethods.POST) {
        return take(r, name);
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
    }
    if (rest.size() == 3 && rest.get(1).equals("claims") && !rest.get(2).isEmpty()) {
      if (m == HttpMethods.DELETE) {
        return ack(r, name, rest.get(2));
      }
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: DELETE");
    }
    throw new ApiException(ErrorCode.NOT_FOUND, "no resource at " + r.http().getUri().path());
  }

  private CompletionStage<HttpResponse> push(Request r, String name) {
    QueueBodies.QueuePushRequest body = Json.read(r.body(), QueueBodies.QueuePushRequest.class);
    if (body.value() == null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "a push needs a \"value\" (text)");
    }
    return new Queue(client(r))
        .push(name, Bytes.utf8(body.value()))
        .thenApply(
            p ->
                Responses.json(
                    201, new QueueBodies.QueuePushed(name, p.id(), p.key(), p.id()), p.id()));
  }

  private CompletionStage<HttpResponse> take(Request r, String name) {
    QueueBodies.QueueTakeRequest body = Json.read(r.body(), QueueBodies.QueueTakeRequest.class);
    Duration timeout = Waiting.timeout(body.timeoutMs());
    Waiting.leaseOrTtl(body.ttl(), body.lease());
    CairnClient client = client(r);
    Queue queue = new Queue(client);
    return Waiting.withLease(
        client,
        body.ttl(),
        body.lease(),
        l ->
            queue
                .take(name, l, timeout)
                .thenApply(d -> Responses.json(200, QueueBodies.QueueDelivery.of(d), d.token())));
  }

  private CompletionStage<HttpResponse> ack(Request r, String name, String rawId) {
    long id = number(rawId, "a claim id");
    String raw =
        r.param("token")
            .orElseThrow(
                () ->
                    new ApiException(
                        ErrorCode.MALFORMED_REQUEST, "an ack needs ?token=<the take's token>"));
    long token = number(raw, "token");
    return new Queue(client(r))
        .ack(name, id, token)
        .thenApply(
            rev -> Responses.json(200, new QueueBodies.QueueAcked(name, id, token, rev), rev));
  }

  private CompletionStage<HttpResponse> status(Request r, String name) {
    long limit = r.longParam("limit", DEFAULT_LIST);
    if (limit < 1 || limit > MAX_LIST) {
      throw new ApiException(
          ErrorCode.INVALID_ARGUMENT, "limit must be between 1 and " + MAX_LIST + ", not " + limit);
    }
    return new Queue(client(r))
        .status(name, limit)
        .thenApply(s -> Responses.json(200, QueueBodies.QueueStatus.of(name, s), s.revision()));
  }

  private static long number(String raw, String what) {
    try {
      long n = Long.parseLong(raw);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ApiException(
        ErrorCode.MALFORMED_REQUEST, what + " must be a positive integer, not '" + raw + "'");
  }
}
