package dev.cairn.client;

/**
 * Every failure the client reports: a refusal by the server ({@link ProblemException}), no server
 * answering ({@link UnavailableException}), a write whose outcome is unknown ({@link
 * OutcomeUnknownException}), a watch whose resume point was compacted ({@link CompactedException})
 * or a lease lost ({@link LeaseLostException}). {@link #code()} is the server's stable problem code
 * where there is one ({@code key_not_found}, {@code precondition_failed}, …), else a code of the
 * client's own ({@code unavailable}, {@code outcome_unknown}).
 *
 * <p>Stages returned by the client complete exceptionally with these (wrapped in a {@link
 * java.util.concurrent.CompletionException} when a later stage sees them); the blocking wrappers
 * throw them as they are.
 */
public class CairnClientException extends RuntimeException {
  private final String code;

  CairnClientException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The stable snake_case code (the server's problem {@code code} when it answered). */
  public String code() {
    return code;
  }
}
