package dev.cairn.http;

import dev.cairn.core.ErrorCode;

/** A client error found while parsing a request; becomes a problem+json response. */
public final class ApiException extends RuntimeException {
  private final ErrorCode code;

  public ApiException(ErrorCode code, String detail) {
    super(detail, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
