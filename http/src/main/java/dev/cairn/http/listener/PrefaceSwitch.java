package dev.cairn.http.listener;

import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Between the socket and the HTTP/1.1 server layer: a connection whose first bytes are the HTTP/2
 * connection preface is handed to an HTTP/2 stack instead, materialized for it alone; every other
 * connection's bytes pass straight through.
 *
 * <p>Pekko HTTP's own switch ({@code ProtocolSwitch}) puts both protocols behind sub-stream ports,
 * so every chunk of every HTTP/1.1 connection crosses two asynchronous callbacks; measured, that
 * cost HTTP/1.1 clients more than half their throughput on a loaded 2-core machine. Here only
 * HTTP/2 connections, which carry many requests per chunk, go through sub-stream ports.
 */
final class PrefaceSwitch
    extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {
  private final Inlet<ByteString> fromHttp1 = Inlet.create("PrefaceSwitch.fromHttp1");
  private final Outlet<ByteString> toNet = Outlet.create("PrefaceSwitch.toNet");
  private final Inlet<ByteString> fromNet = Inlet.create("PrefaceSwitch.fromNet");
  private final Outlet<ByteString> toHttp1 = Outlet.create("PrefaceSwitch.toHttp1");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      new BidiShape<>(fromHttp1, toNet, fromNet, toHttp1);

  private final Supplier<Flow<ByteString, ByteString, NotUsed>> http2;
  private final Runnable onHttp2;

  /**
   * @param http2 the HTTP/2 stack of one connection: bytes from the client (starting with the
   *     preface) to bytes for it
   * @param onHttp2 called when the connection turns out to speak HTTP/2
   */
  PrefaceSwitch(Supplier<Flow<ByteString, ByteString, NotUsed>> http2, Runnable onHttp2) {
    this.http2 = http2;
    this.onHttp2 = onHttp2;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private boolean decided;

      {
        // HTTP/1.1 (until the first chunk says otherwise): straight through, both ways.
        setHandler(
            fromNet,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                ByteString b = grab(fromNet);
                if (!decided) {
                  decided = true;
                  if (H2c.startsWithPreface(b) && b.size() >= PREFACE_LENGTH) {
                    switchToHttp2(b);
                    return;
                  }
                }
                push(toHttp1, b);
              }

              @Override
              public void onUpstreamFinish() {
                complete(toHttp1);
              }
            });
        setHandler(
            toHttp1,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(fromNet);
              }
            });
        setHandler(
            fromHttp1,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                push(toNet, grab(fromHttp1));
              }

              @Override
              public void onUpstreamFinish() {
                complete(toNet);
              }
            });
        setHandler(
            toNet,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(fromHttp1);
              }
            });
      }

      /** Runs the HTTP/2 stack for this connection, fed from the first chunk on. */
      private void switchToHttp2(ByteString first) {
        onHttp2.run();
        SubSourceOutlet<ByteString> in = new SubSourceOutlet<>("PrefaceSwitch.h2In");
        SubSinkInlet<ByteString> out = new SubSinkInlet<>("PrefaceSwitch.h2Out");
        // The HTTP/1.1 layer saw nothing: let it end quietly.
        cancel(fromHttp1);
        complete(toHttp1);
        in.setHandler(
            new AbstractOutHandler() {
              private boolean firstSent;

              @Override
              public void onPull() {
                if (!firstSent) {
                  firstSent = true;
                  in.push(first);
                } else if (!isClosed(fromNet) && !hasBeenPulled(fromNet)) {
                  pull(fromNet);
                }
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromNet, cause);
              }
            });
        setHandler(
            fromNet,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                in.push(grab(fromNet));
              }

              @Override
              public void onUpstreamFinish() {
                in.complete();
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                in.fail(ex);
              }
            });
        out.setHandler(
            new AbstractInHandler() {
              @Override
              public void onPush() {
                push(toNet, out.grab());
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
                out.pull();
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                out.cancel(cause);
              }
            });
        http2
            .get()
            .join(Flow.fromSinkAndSource(out.sink(), in.source()))
            .run(subFusingMaterializer());
        if (isAvailable(toNet)) {
          out.pull();
        }
      }
    };
  }

  /** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
  private static final int PREFACE_LENGTH = 24;
}
