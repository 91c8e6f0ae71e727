package dev.cairn.http.listener;

import java.time.Duration;

/**
 * The connection rules of one listening socket.
 *
 * @param name names the listener in logs and metrics ({@code client}, {@code ops})
 * @param maxConnections connections held open at once; one more is refused
 * @param maxRefusing connections beyond the limit that may be in the middle of their refusal
 *     (waiting for a request to answer with 503); beyond that a new one is closed at once
 * @param refusalTimeout how long a refused connection may take to send a request
 * @param idleTimeout a connection with no byte either way for this long is closed
 * @param headerTimeout a request's headers must have arrived this long after their first byte
 * @param pipelining requests of one connection handled at once (HTTP pipelining)
 */
public record ListenerSettings(
    String name,
    int maxConnections,
    int maxRefusing,
    Duration refusalTimeout,
    Duration idleTimeout,
    Duration headerTimeout,
    int pipelining) {

  public ListenerSettings withName(String n) {
    return new ListenerSettings(
        n, maxConnections, maxRefusing, refusalTimeout, idleTimeout, headerTimeout, pipelining);
  }

  public ListenerSettings withMaxConnections(int n) {
    return new ListenerSettings(
        name, n, maxRefusing, refusalTimeout, idleTimeout, headerTimeout, pipelining);
  }
}
