package dev.cairn.client;

import dev.cairn.core.ErrorCode;
import java.time.Duration;
import java.util.Optional;

/**
 * The server refused the request with an {@code application/problem+json} answer: its HTTP status,
 * its stable {@code code} and its {@code detail}.
 */
public class ProblemException extends CairnClientException {
  private final int status;
  private final String detail;
  private final long revision;
  private final Duration retryAfter;

  ProblemException(int status, String code, String detail, long revision, Duration retryAfter) {
    super(code, status + " " + code + (detail == null ? "" : ": " + detail), null);
    this.status = status;
    this.detail = detail;
    this.revision = revision;
    this.retryAfter = retryAfter;
  }

  /** The HTTP status (404, 412, 503, …). */
  public int status() {
    return status;
  }

  /** The server's explanation for people; match on {@link #code()}, never on this. */
  public String detail() {
    return detail;
  }

  /** The revision the answer reflects, or 0 when the server gave none. */
  public long revision() {
    return revision;
  }

  /** The server's {@code Retry-After}, when it sent one (503). */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** The code as core's {@link ErrorCode}, or empty for a code this client does not know. */
  public Optional<ErrorCode> errorCode() {
    return errorCodeOf(code());
  }

  static Optional<ErrorCode> errorCodeOf(String wire) {
    for (ErrorCode c : ErrorCode.values()) {
      if (c.wire().equals(wire)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
