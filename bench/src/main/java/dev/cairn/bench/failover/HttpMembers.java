package dev.cairn.bench.failover;

import dev.cairn.bench.http.HttpAnswer;
import dev.cairn.bench.http.HttpCall;
import dev.cairn.bench.http.HttpTransport;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/**
 * One HTTP transport per member of a cluster whose members all serve the same HTTP API (etcd's
 * gateway, Cairn), shared by the clients and the probes: one event loop thread each.
 */
final class HttpMembers implements AutoCloseable {

  private final List<Member> members;
  private final List<HttpTransport> transports = new ArrayList<>();

  HttpMembers(List<Member> members) {
    this.members = List.copyOf(members);
    for (Member m : members) {
      transports.add(new HttpTransport(URI.create(m.endpoint()), 1));
    }
  }

  int size() {
    return members.size();
  }

  /** The transport to member {@code index}. */
  HttpTransport transport(int index) {
    return transports.get(index);
  }

  /**
   * {@code call} to member {@code index}, waited for at most {@link FailoverTarget#PROBE_TIMEOUT}.
   */
  HttpAnswer probe(int index, HttpCall call) throws Exception {
    return transports.get(index).exchange(call, FailoverTarget.PROBE_TIMEOUT);
  }

  /**
   * A client that sends write {@code seq} as {@code call.apply(seq)} to its current member,
   * starting at member {@code first}, and counts an answer as an acknowledgement when {@code acked}
   * holds; {@link WriteClient#moveOn} moves it to the next member in file order, as etcd's client
   * and any HTTP client of Cairn given every member's URL do.
   */
  WriteClient client(int first, LongFunction<HttpCall> call, Predicate<HttpAnswer> acked) {
    return new WriteClient() {
      private volatile int current = Math.floorMod(first, members.size());

      @Override
      public CompletableFuture<String> write(long seq, Duration timeout) {
        int at = current;
        return transports
            .get(at)
            .request(call.apply(seq), timeout)
            .thenApply(
                answer -> {
                  if (!acked.test(answer)) {
                    throw new RefusedWrite(answer.describe());
                  }
                  return members.get(at).name();
                });
      }

      @Override
      public void moveOn() {
        current = (current + 1) % members.size();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    transports.forEach(HttpTransport::close);
  }

  /** An answer that is not an acknowledgement (a refusal, a redirect, an error status). */
  static final class RefusedWrite extends RuntimeException {
    RefusedWrite(String answer) {
      super(answer.length() > 200 ? answer.substring(0, 200) : answer, null, false, false);
    }
  }

  /** {@code IOException} with the member's name, for probes that got no usable answer. */
  static IOException unusable(Member m, HttpAnswer a) {
    return new IOException(m.name() + ": " + a.describe());
  }
}
