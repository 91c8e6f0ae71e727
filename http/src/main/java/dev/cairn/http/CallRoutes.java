package dev.cairn.http;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * What a session's calls run through ({@link Api}): each as the {@link HttpRequest} it stands for,
 * and the plainest (a put or get of one key) without building one.
 */
public interface CallRoutes extends Function<HttpRequest, CompletionStage<HttpResponse>> {
  /**
   * The answer to a call, as its request would get it, or null when the call is not one of those
   * answered without a request (it then goes through {@link #apply}). {@code headers} are names and
   * values, one after the other.
   */
  CompletionStage<HttpResponse> plain(
      String method, String path, List<String> headers, byte[] body);
}
