package dev.cairn.http;

import dev.cairn.core.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.Query;

/**
 * One API request with its body read: typed access to query parameters and headers that turns bad
 * input into {@link ApiException}s.
 */
public final class Request {
  private final HttpRequest http;
  private final String namespace;
  private final String path;
  private final byte[] body;

  /** Parsed on first use, once: most requests have no query at all. */
  private Query query;

  /**
   * @param path the path below the namespace prefix, still percent-encoded, without a leading slash
   */
  public Request(HttpRequest http, String namespace, String path, byte[] body) {
    this.http = http;
    this.namespace = namespace;
    this.path = path;
    this.body = body;
  }

  public HttpRequest http() {
    return http;
  }

  public String namespace() {
    return namespace;
  }

  public String path() {
    return path;
  }

  public byte[] body() {
    return body;
  }

  public HttpMethod method() {
    return http.method();
  }

  public Optional<String> param(String name) {
    Query q = query;
    if (q == null) {
      // The Scala model's raw query avoids building the Java view of the URI for the common case.
      boolean none =
          ((org.apache.pekko.http.scaladsl.model.HttpRequest) http)
              .uri()
              .rawQueryString()
              .isEmpty();
      q = none ? Query.EMPTY : http.getUri().query();
      query = q;
    }
    return q.get(name);
  }

  public boolean flag(String name) {
    Optional<String> v = param(name);
    if (v.isEmpty()) {
      return false;
    }
    return switch (v.get()) {
      case "", "true", "1" -> true;
      case "false", "0" -> false;
      default ->
          throw new ApiException(
              ErrorCode.MALFORMED_REQUEST, name + " must be true or false, not '" + v.get() + "'");
    };
  }

  public long longParam(String name, long dflt) {
    Optional<String> v = param(name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      return Long.parseLong(v.get());
    } catch (NumberFormatException e) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, name + " must be an integer, not '" + v.get() + "'");
    }
  }

  public Optional<String> header(String name) {
    return http.getHeader(name).map(h -> h.value());
  }

  /** Decodes a percent-encoded path part as UTF-8 (a '+' stays a '+'). */
  public static String decode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new ApiException(ErrorCode.MALFORMED_REQUEST, "bad percent-encoding in path");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new ApiException(ErrorCode.MALFORMED_REQUEST, "bad percent-encoding in path");
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < raw.length()) {
          b = raw.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.writeBytes(b);
      }
    }
    byte[] bytes = out.toByteArray();
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    try {
      return decoder.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "path is not valid UTF-8");
    }
  }
}
