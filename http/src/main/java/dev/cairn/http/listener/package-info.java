/**
 * The server's listening sockets and the connections on them: a limit on open connections with a
 * prompt refusal beyond it, idle and header timeouts, the start-up check of the file-descriptor
 * limit, and the drain at shutdown. {@link dev.cairn.http.listener.Listener} accepts TCP
 * connections itself and runs Pekko HTTP's server layer on each, so it sees every connection from
 * accept to close, WebSocket and server-sent-event streams included.
 *
 * <p>Knows nothing of routes: it is given a request handler. Depends on Pekko HTTP and Micrometer
 * only.
 */
package dev.cairn.http.listener;
