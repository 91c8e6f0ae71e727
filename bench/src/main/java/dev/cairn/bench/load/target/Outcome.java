package dev.cairn.bench.load.target;

/** How one operation ended. Everything but {@link #OK} counts as an error. */
public enum Outcome {
  /** The operation succeeded (2xx, or the peer's equivalent). */
  OK,
  /** The server answered, but not with success (non-2xx, missing key, peer error code). */
  FAILED,
  /** The connection or session failed before an answer arrived. */
  IO_ERROR,
  /** No answer within the request timeout. */
  TIMEOUT;

  public boolean ok() {
    return this == OK;
  }
}
