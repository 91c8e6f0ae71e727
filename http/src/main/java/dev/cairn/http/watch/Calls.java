package dev.cairn.http.watch;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.cairn.core.ErrorCode;
import dev.cairn.http.Json;
import dev.cairn.http.Problems;
import dev.cairn.http.Responses;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;

/**
 * Requests sent over a session's WebSocket ({@code call}) and their answers ({@code reply}). A call
 * is turned into the {@link HttpRequest} it stands for and run through the very routes of the
 * client port ({@link dev.cairn.http.Api}), so every endpoint, problem code, header and namespace
 * path behaves exactly as over HTTP; only the framing differs. The plainest calls (a put or get of
 * one key) skip the request and go to the same handlers ({@link dev.cairn.http.CallRoutes#plain}).
 * The answer's JSON body is put into the reply as it is, not parsed again.
 *
 * <pre>
 * → {"call": {"id": 7, "method": "PUT", "path": "/v1/kv/a?prev_kv=true",
 *             "headers": {"If-Match": "\"3\""}, "body": "value"}}
 * ← {"reply": {"id": 7, "status": 200, "headers": {"X-Cairn-Revision": "12"},
 *              "body": {"revision": 12, "kv": {…}}}}
 * </pre>
 *
 * <p>A body that is not JSON comes as {@code body_base64} with its {@code content_type}. Replies
 * come in the order calls finish, not the order they were sent.
 */
final class Calls {
  /** The methods a call may have. */
  static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH");

  /** Marks a request that came as a call: a watch cannot be one (it is not a request/answer). */
  static final AttributeKey<Boolean> CALL = AttributeKey.create("cairn-call", Boolean.class);

  private static final JsonStringEncoder ESCAPE = JsonStringEncoder.getInstance();

  private Calls() {}

  /** The HTTP request {@code c} stands for; throws {@link ClientMessage.Invalid} for a bad path. */
  static HttpRequest request(ClientMessage.Call c) {
    Uri uri;
    try {
      uri = Uri.create(c.path());
    } catch (RuntimeException e) {
      throw new ClientMessage.Invalid(ErrorCode.MALFORMED_REQUEST, "call: bad path: " + c.path());
    }
    ContentType type = ContentTypes.APPLICATION_OCTET_STREAM;
    HttpRequest r =
        HttpRequest.create()
            .withMethod(method(c.method()))
            .withUri(uri)
            .addAttribute(CALL, Boolean.TRUE)
            // The routes read the path as sent (percent-encoding and dot segments kept).
            .addHeader(RawRequestURI.create(c.path()));
    List<String> h = c.headers();
    for (int i = 0; i + 1 < h.size(); i += 2) {
      String name = h.get(i);
      if (name.equalsIgnoreCase("Content-Type")) {
        try {
          type = ContentTypes.parse(h.get(i + 1)); // Pekko keeps it on the entity, not a header
        } catch (RuntimeException e) {
          throw new ClientMessage.Invalid(
              ErrorCode.MALFORMED_REQUEST, "call: bad Content-Type '" + h.get(i + 1) + "'");
        }
      } else if (!name.equalsIgnoreCase("Content-Length")) {
        r = r.addHeader(RawHeader.create(name, h.get(i + 1)));
      }
    }
    if (c.body() != null) {
      r = r.withEntity(HttpEntities.create(type, c.body()));
    }
    return r;
  }

  private static HttpMethod method(String m) {
    return switch (m) {
      case "GET" -> HttpMethods.GET;
      case "HEAD" -> HttpMethods.HEAD;
      case "PUT" -> HttpMethods.PUT;
      case "POST" -> HttpMethods.POST;
      case "DELETE" -> HttpMethods.DELETE;
      case "PATCH" -> HttpMethods.PATCH;
      default -> throw new IllegalStateException("unhandled " + m);
    };
  }

  /** The reply to call {@code id}: {@code r}'s status and headers, and its {@code body} bytes. */
  static String reply(long id, HttpResponse r, byte[] body) {
    StringBuilder sb = new StringBuilder(96 + body.length);
    sb.append("{\"reply\":{\"id\":")
        .append(id)
        .append(",\"status\":")
        .append(r.status().intValue());
    boolean first = true;
    for (HttpHeader h : r.getHeaders()) {
      sb.append(first ? ",\"headers\":{\"" : ",\"");
      first = false;
      ESCAPE.quoteAsString(h.name(), sb);
      sb.append("\":\"");
      ESCAPE.quoteAsString(h.value(), sb);
      sb.append('"');
    }
    if (!first) {
      sb.append('}');
    }
    if (body.length > 0) {
      var media = r.entity().getContentType().mediaType();
      if (media.subType().endsWith("json")) {
        // Our own routes' JSON, put in as it is: no second parse on either side of the socket.
        sb.append(",\"body\":").append(new String(body, StandardCharsets.UTF_8));
      } else {
        sb.append(",\"content_type\":\"");
        ESCAPE.quoteAsString(r.entity().getContentType().toString(), sb);
        sb.append("\",\"body_base64\":\"")
            .append(Base64.getEncoder().encodeToString(body))
            .append('"');
      }
    }
    return sb.append("}}").toString();
  }

  /** A reply to call {@code id} that the session answered itself, as a problem. */
  static String refusal(long id, ErrorCode code, String detail) {
    int status = Problems.status(code);
    Responses.Problem p =
        new Responses.Problem(
            Problems.type(code), Problems.title(code), status, detail, code.wire(), null, null);
    return "{\"reply\":{\"id\":"
        + id
        + ",\"status\":"
        + status
        + ",\"body\":"
        + new String(Json.write(p), StandardCharsets.UTF_8)
        + "}}";
  }
}
