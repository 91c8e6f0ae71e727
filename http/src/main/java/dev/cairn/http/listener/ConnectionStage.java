package dev.cairn.http.listener;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The bytes of one connection, between Pekko HTTP's server layer and the socket. It closes the
 * connection:
 *
 * <ul>
 *   <li>after {@code idleTimeout} without a byte either way;
 *   <li>when a request's headers take longer than {@code headerTimeout} from their first byte (a
 *       client trickling header bytes would otherwise hold the connection for as long as it likes:
 *       every byte resets the idle timeout);
 *   <li>after {@code lifetime}, if set (a connection being refused);
 *   <li>when asked from outside ({@link Connection#close}), at shutdown.
 * </ul>
 *
 * While the server is going away it also turns the WebSocket close frame Pekko sends (code 1000, no
 * reason) into 1001 "going away", so that clients know to reconnect elsewhere; Pekko's message API
 * has no way to choose the code.
 *
 * <p>Closing completes both directions: the socket gets a FIN, not a reset.
 */
final class ConnectionStage
    extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {
  /** Pekko's close frame when a server-side WebSocket handler completes: 1000, no reason. */
  private static final ByteString NORMAL_CLOSE =
      ByteString.fromArray(new byte[] {(byte) 0x88, 0x02, 0x03, (byte) 0xE8});

  /** Close frame 1001 "going away". */
  static final ByteString GOING_AWAY;

  static {
    byte[] reason = "going away".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] f = new byte[4 + reason.length];
    f[0] = (byte) 0x88;
    f[1] = (byte) (2 + reason.length);
    f[2] = 0x03;
    f[3] = (byte) 0xE9;
    System.arraycopy(reason, 0, f, 4, reason.length);
    GOING_AWAY = ByteString.fromArray(f);
  }

  private final Inlet<ByteString> fromHttp = Inlet.create("ConnectionStage.fromHttp");
  private final Outlet<ByteString> toNet = Outlet.create("ConnectionStage.toNet");
  private final Inlet<ByteString> fromNet = Inlet.create("ConnectionStage.fromNet");
  private final Outlet<ByteString> toHttp = Outlet.create("ConnectionStage.toHttp");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      new BidiShape<>(fromHttp, toNet, fromNet, toHttp);

  private final Connection conn;
  private final Duration idleTimeout;
  private final Duration headerTimeout;
  private final Duration lifetime;
  private final java.util.function.BooleanSupplier goingAway;
  private final Consumer<Connection> onClosed;

  /**
   * @param lifetime how long the connection may live at all, or null for no limit
   * @param goingAway true once close frames are to say 1001 "going away"
   * @param onClosed called once when the connection's stream has ended
   */
  ConnectionStage(
      Connection conn,
      Duration idleTimeout,
      Duration headerTimeout,
      Duration lifetime,
      java.util.function.BooleanSupplier goingAway,
      Consumer<Connection> onClosed) {
    this.conn = conn;
    this.idleTimeout = idleTimeout;
    this.headerTimeout = headerTimeout;
    this.lifetime = lifetime;
    this.goingAway = goingAway;
    this.onClosed = onClosed;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private static final String IDLE = "idle";
      private static final String HEADER = "header";
      private static final String LIFETIME = "lifetime";

      private long lastActivity = System.nanoTime();

      /** Requests seen when the header timer started: one more means the headers came. */
      private long requestsAtHeaderStart = -1;

      /** No byte has come from the client yet. */
      private boolean first = true;

      {
        setHandler(
            fromHttp,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                ByteString b = grab(fromHttp);
                lastActivity = System.nanoTime();
                if (conn.upgraded && b.equals(NORMAL_CLOSE) && goingAway.getAsBoolean()) {
                  b = GOING_AWAY;
                }
                push(toNet, b);
              }

              @Override
              public void onUpstreamFinish() {
                complete(toNet);
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                fail(toNet, ex);
              }
            });
        setHandler(
            toNet,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(fromHttp);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromHttp, cause);
              }
            });
        setHandler(
            fromNet,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                ByteString b = grab(fromNet);
                lastActivity = System.nanoTime();
                if (first) {
                  first = false;
                  if (H2c.startsWithPreface(b)) {
                    conn.http2 = true;
                  }
                }
                // HTTP/2 frames headers whole, and sends pings and window updates between requests.
                if (requestsAtHeaderStart < 0 && conn.idle() && !conn.http2) {
                  // The first bytes of a request: its headers must be whole within the timeout.
                  requestsAtHeaderStart = conn.requests;
                  scheduleOnce(HEADER, headerTimeout);
                }
                push(toHttp, b);
              }

              @Override
              public void onUpstreamFinish() {
                complete(toHttp);
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                fail(toHttp, ex);
              }
            });
        setHandler(
            toHttp,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(fromNet);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromNet, cause);
              }
            });
      }

      @Override
      public void preStart() {
        conn.closer(createAsyncCallback(this::closeBecause)::invoke);
        scheduleOnce(IDLE, idleTimeout);
        if (lifetime != null) {
          scheduleOnce(LIFETIME, lifetime);
        }
      }

      @Override
      public void onTimer(Object key) {
        if (IDLE.equals(key)) {
          long idleFor = System.nanoTime() - lastActivity;
          long left = idleTimeout.toNanos() - idleFor;
          if (left > 0) {
            scheduleOnce(IDLE, Duration.ofNanos(left));
          } else if (conn.idle()) {
            closeBecause("idle_timeout");
          } else {
            // A request is being served (request-timeout bounds it) or a stream is open (it sends
            // progress or pings): not idle, look again later.
            scheduleOnce(IDLE, idleTimeout);
          }
        } else if (HEADER.equals(key)) {
          if (conn.requests == requestsAtHeaderStart && !conn.upgraded && !conn.http2) {
            closeBecause("header_timeout");
          }
          requestsAtHeaderStart = -1;
        } else if (LIFETIME.equals(key)) {
          closeBecause("refused");
        }
      }

      private void closeBecause(String reason) {
        if (conn.closedBecause == null) {
          conn.closedBecause = reason;
        }
        completeStage();
      }

      @Override
      public void postStop() {
        onClosed.accept(conn);
      }
    };
  }
}
