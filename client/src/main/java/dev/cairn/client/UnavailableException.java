package dev.cairn.client;

/**
 * No endpoint answered the request within the client's retries: every connection failed, or every
 * answer was 503. A request that may have reached a server but is not idempotent is reported as
 * {@link OutcomeUnknownException} instead.
 */
public final class UnavailableException extends CairnClientException {
  UnavailableException(String message, Throwable cause) {
    super("unavailable", message, cause);
  }
}
