package dev.cairn.http;

import dev.cairn.core.ErrorCode;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach {@link Api} (a bad request line, an illegal header, an
 * over-long URI, an unknown method) with problem+json like every other error, instead of Pekko's
 * text/plain. Pekko's status is kept; the code says what kind of mistake it was. Selected by {@code
 * pekko.http.server.parsing.error-handler}.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    // A client's mistake, answered: worth a line only when debugging that client.
    if (log.isDebugEnabled()) {
      log.debug("Illegal request, responding with status '{}': {}", status, info.formatPretty());
    }
    ErrorCode code =
        switch (status.intValue()) {
          case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
          case 405, 501 -> ErrorCode.METHOD_NOT_ALLOWED;
          default -> ErrorCode.MALFORMED_REQUEST;
        };
    return HttpResponse.create()
        .withStatus(status.intValue())
        .withEntity(
            Responses.PROBLEM_JSON,
            Json.write(Responses.Problem.of(code, status.intValue(), info.summary())));
  }
}
