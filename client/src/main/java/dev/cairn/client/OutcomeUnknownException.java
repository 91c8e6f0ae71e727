package dev.cairn.client;

/**
 * A write that may or may not have happened: the request reached (or may have reached) a server and
 * no answer saying what became of it came back (the connection broke, the request timed out, or the
 * server answered 503 after it may have applied it). The client never retries such a write blindly,
 * since it would apply twice; read the key (or compare on it in a transaction) to learn the
 * outcome.
 */
public final class OutcomeUnknownException extends CairnClientException {
  OutcomeUnknownException(String message, Throwable cause) {
    super("outcome_unknown", message, cause);
  }
}
