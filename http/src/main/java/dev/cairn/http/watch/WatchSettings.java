package dev.cairn.http.watch;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Limits and timings of watch connections, from {@code cairn.watch}.
 *
 * @param maxConnections open watch connections (WebSocket + SSE) per node
 * @param maxWatchesPerConnection watches one connection may hold
 * @param socketQueue messages queued to the socket before a connection counts as not reading
 * @param maxPendingPerWatch messages a watch may hold back beyond that before it is cancelled with
 *     reason {@code slow_consumer}; on a coalesced connection, messages its one FIFO may hold
 *     before every watch with a message in it is cancelled
 * @param maxHeldBytesPerConnection bytes of held-back messages a connection may hold in all; the
 *     watch whose message would exceed it is cancelled with reason {@code slow_consumer} (on a
 *     coalesced connection, every watch with a message held back)
 * @param historyChunk most events in one message while catching up on history
 * @param progressInterval how often every watch gets a progress notification
 * @param flushInterval how often held-back messages are retried while a socket is full
 * @param maxCallsPerConnection calls ({@code call} messages) a WebSocket session may have in
 *     flight, from their arrival until their reply is handed to the socket; one more is refused
 *     with {@code too_many_requests}
 * @param resubscribeAfter how long a watch waits for its subscription's answer (the registration or
 *     a refusal) before it subscribes again; also how soon a watch whose leader stopped asks the
 *     successor again when its first attempt was lost
 */
public record WatchSettings(
    int maxConnections,
    int maxWatchesPerConnection,
    int socketQueue,
    int maxPendingPerWatch,
    long maxHeldBytesPerConnection,
    int historyChunk,
    Duration progressInterval,
    Duration flushInterval,
    Duration resubscribeAfter,
    int maxCallsPerConnection) {

  public static WatchSettings fromConfig(Config root) {
    Config c = root.getConfig("cairn.watch");
    return new WatchSettings(
        c.getInt("max-connections"),
        c.getInt("max-watches-per-connection"),
        c.getInt("socket-queue"),
        c.getInt("max-pending-per-watch"),
        c.getBytes("max-held-bytes-per-connection"),
        c.getInt("history-chunk"),
        c.getDuration("progress-interval"),
        c.getDuration("flush-interval"),
        c.getDuration("resubscribe-after"),
        c.getInt("max-calls-per-connection"));
  }
}
