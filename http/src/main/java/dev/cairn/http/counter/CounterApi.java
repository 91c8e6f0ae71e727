package dev.cairn.http.counter;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import dev.cairn.http.recipe.InProcessClient;
import dev.cairn.recipes.counter.Counter;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Handlers for {@code /counters/{name}} in one namespace: the {@link Counter} recipe run through an
 * {@link InProcessClient}.
 */
public final class CounterApi {
  private final ActorSystem system;
  private final Namespaces namespaces;

  public CounterApi(ActorSystem system, Namespaces namespaces) {
    this.system = system;
    this.namespaces = namespaces;
  }

  /** {@code POST /v1/counters/{name}}: add {@code delta}, starting at {@code initial} (0). */
  record CounterAddRequest(Long delta, Long initial) {}

  /** A counter's value as of {@code revision}. */
  record CounterValue(String name, long value, long revision) {
    static CounterValue of(Counter.Value v) {
      return new CounterValue(v.name(), v.value(), v.revision());
    }
  }

  /** {@code name} is the decoded path after {@code counters/}; it may contain '/'. */
  public CompletionStage<HttpResponse> handle(Request r, String name) {
    if (name.isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "a counter needs a name: /v1/counters/{name}");
    }
    Counter counter = new Counter(new InProcessClient(system, namespaces, r.namespace()));
    var m = r.method();
    if (m == HttpMethods.POST) {
      CounterAddRequest body = Json.read(r.body(), CounterAddRequest.class);
      if (body.delta() == null) {
        throw new ApiException(ErrorCode.MALFORMED_REQUEST, "an addition needs a delta");
      }
      long initial = body.initial() == null ? 0 : body.initial();
      return counter.add(name, body.delta(), initial).thenApply(CounterApi::answer);
    } else if (m == HttpMethods.GET) {
      return counter.read(name).thenApply(CounterApi::answer);
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, POST");
  }

  private static HttpResponse answer(Counter.Value v) {
    return Responses.json(200, CounterValue.of(v), v.revision());
  }
}
