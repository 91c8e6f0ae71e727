package dev.cairn.http;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Builds responses: JSON with the revision header, and RFC 9457 problem+json errors. */
public final class Responses {
  public static final String REVISION_HEADER = "X-Cairn-Revision";
  public static final ContentType PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset(
              "problem+json", org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)
          .toContentType();

  private Responses() {}

  /**
   * An RFC 9457 problem, as the schema {@code Problem} in {@code openapi.yaml}.
   *
   * @param compactRevision for {@code compacted}, the compaction point; else null
   * @param revision the namespace revision the answer reflects, or null
   */
  public record Problem(
      String type,
      String title,
      int status,
      String detail,
      String code,
      Long compactRevision,
      Long revision) {

    public static Problem of(ErrorCode code, int status, String detail) {
      return new Problem(
          Problems.type(code), Problems.title(code), status, detail, code.wire(), null, null);
    }
  }

  public static HttpResponse json(int status, Object body, long revision, HttpHeader... extra) {
    HttpResponse r =
        HttpResponse.create()
            .withStatus(StatusCodes.get(status))
            .withEntity(ContentTypes.APPLICATION_JSON, Json.write(body));
    if (revision >= 0) {
      r = r.addHeader(RawHeader.create(REVISION_HEADER, Long.toString(revision)));
    }
    for (HttpHeader h : extra) {
      r = r.addHeader(h);
    }
    return r;
  }

  public static HttpHeader etag(long modRevision) {
    return RawHeader.create("ETag", "\"" + modRevision + "\"");
  }

  public static HttpResponse problem(ErrorCode code, String detail) {
    return problem(code, detail, -1, 0);
  }

  public static HttpResponse problem(Rejection r, long revision) {
    return problem(r.code(), r.detail(), revision, r.revision());
  }

  /**
   * @param revision the namespace revision for the header, or -1
   * @param context the rejection's revision context (e.g. the compact revision), or 0
   */
  public static HttpResponse problem(ErrorCode code, String detail, long revision, long context) {
    int status = Problems.status(code);
    Problem body =
        new Problem(
            Problems.type(code),
            Problems.title(code),
            status,
            detail,
            code.wire(),
            code == ErrorCode.COMPACTED && context > 0 ? context : null,
            revision >= 0 ? revision : null);
    HttpResponse r =
        HttpResponse.create()
            .withStatus(StatusCodes.get(status))
            .withEntity(PROBLEM_JSON, Json.write(body));
    if (revision >= 0) {
      r = r.addHeader(RawHeader.create(REVISION_HEADER, Long.toString(revision)));
    }
    if (Problems.retryable(code)) {
      r = r.addHeader(RawHeader.create("Retry-After", "1"));
    }
    return r;
  }
}
