package dev.cairn.bench.http;

/** Receives the end of one {@link HttpCall}, exactly once. */
@FunctionalInterface
public interface HttpReply {

  /**
   * @param status the response status, or {@code -1} when {@code failure} is set
   * @param body the full response body (empty, never {@code null}, when there is a status)
   * @param failure why no response arrived, or {@code null}
   */
  void onReply(int status, byte[] body, Throwable failure);
}
