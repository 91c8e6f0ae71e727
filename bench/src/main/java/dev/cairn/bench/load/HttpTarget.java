package dev.cairn.bench.load;

import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpConnection;
import dev.cairn.bench.http.HttpTransport;
import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Completion;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Outcome;
import dev.cairn.bench.load.target.Target;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A target spoken to over HTTP/1.1: one {@link HttpConnection} per logical client. Subclasses say
 * which request each operation is and which responses count as success. With several servers (the
 * nodes of a cluster), client {@code i} talks to server {@code i mod n}.
 */
public abstract class HttpTarget implements Target {

  private final List<HttpTransport> transports;
  private final ErrorSamples errors;

  protected HttpTarget(HttpTransport transport, ErrorSamples errors) {
    this(List.of(transport), errors);
  }

  protected HttpTarget(List<HttpTransport> transports, ErrorSamples errors) {
    if (transports.isEmpty()) {
      throw new IllegalArgumentException("no server");
    }
    this.transports = List.copyOf(transports);
    this.errors = errors;
  }

  /** The request that writes key {@code key}. */
  protected abstract HttpCall putCall(int key);

  /** The request that reads key {@code key} linearizably. */
  protected abstract HttpCall getCall(int key);

  /** A request that does no keyspace work (e.g. a health check), or null when there is none. */
  protected HttpCall pingCall() {
    return null;
  }

  /** The request that preloads key {@code key}; a put unless the target needs otherwise. */
  protected HttpCall loadCall(int key) {
    return putCall(key);
  }

  /** Whether a write's response means success. */
  protected boolean putSucceeded(int status, byte[] body) {
    return status >= 200 && status < 300;
  }

  /** Whether a read's response means the key was found. */
  protected boolean getSucceeded(int status, byte[] body) {
    return status >= 200 && status < 300;
  }

  @Override
  public String clientDescription() {
    String name = transports.get(0).name();
    return transports.size() == 1 ? name : name + ", spread over " + transports.size() + " servers";
  }

  @Override
  public ClientChannel open(int index) {
    return new Channel(transports.get(Math.floorMod(index, transports.size())).open());
  }

  @Override
  public void close() {
    transports.forEach(HttpTransport::close);
  }

  private Outcome judge(HttpCall call, int status, byte[] body, Throwable failure, boolean read) {
    if (failure != null) {
      errors.note(call.method() + " " + call.path() + ": " + failure);
      return Outcome.IO_ERROR;
    }
    boolean ok = read ? getSucceeded(status, body) : putSucceeded(status, body);
    if (!ok) {
      errors.note(call.method() + " " + call.path() + " -> " + status + " " + abbreviate(body));
      return Outcome.FAILED;
    }
    return Outcome.OK;
  }

  private static String abbreviate(byte[] body) {
    String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    return body.length > 200 ? text + "..." : text;
  }

  private final class Channel implements ClientChannel {
    private final HttpConnection connection;

    Channel(HttpConnection connection) {
      this.connection = connection;
    }

    private void send(HttpCall call, boolean read, Completion done) {
      connection.send(
          call, (status, body, failure) -> done.complete(judge(call, status, body, failure, read)));
    }

    @Override
    public void put(int key, Completion done) {
      send(putCall(key), false, done);
    }

    @Override
    public void get(int key, Completion done) {
      send(getCall(key), true, done);
    }

    @Override
    public void ping(Completion done) {
      HttpCall call = pingCall();
      if (call == null) {
        ClientChannel.super.ping(done);
        return;
      }
      send(call, true, done);
    }

    @Override
    public void load(int key, Completion done) {
      send(loadCall(key), false, done);
    }

    @Override
    public void abort() {
      connection.abort();
    }

    @Override
    public void close() {
      connection.close();
    }
  }
}
