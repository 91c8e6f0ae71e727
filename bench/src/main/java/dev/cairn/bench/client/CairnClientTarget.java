package dev.cairn.bench.client;

import dev.cairn.bench.load.target.ClientChannel;
import dev.cairn.bench.load.target.Completion;
import dev.cairn.bench.load.target.ErrorSamples;
import dev.cairn.bench.load.target.Outcome;
import dev.cairn.bench.load.target.Target;
import dev.cairn.bench.load.target.Workload;
import dev.cairn.client.CairnClient;
import dev.cairn.client.UnavailableException;
import dev.cairn.core.Bytes;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;

/**
 * Cairn driven through its own Java client, as an application would: one {@link CairnClient} shared
 * by every logical client of the run, its requests multiplexed as calls on its session's WebSocket
 * or, with {@code sessionCalls} off, on one HTTP/2 connection.
 */
public final class CairnClientTarget implements Target {
  private final CairnClient client;
  private final Workload workload;
  private final Bytes value;
  private final ErrorSamples errors;
  private final int threads;
  private final boolean sessionCalls;

  public CairnClientTarget(
      URI url, int threads, boolean sessionCalls, Workload workload, ErrorSamples errors) {
    this.threads = threads;
    this.sessionCalls = sessionCalls;
    this.client =
        CairnClient.builder()
            .endpoints(url.toString())
            .threads(threads)
            .sessionCalls(sessionCalls)
            .build();
    this.workload = workload;
    this.value = Bytes.copyOf(workload.value());
    this.errors = errors;
  }

  @Override
  public String name() {
    return "cairn-client";
  }

  @Override
  public String clientDescription() {
    return "cairn-java-client/" + (sessionCalls ? "calls" : "h2c") + "/" + threads + "-threads";
  }

  @Override
  public ClientChannel open(int index) {
    return new ClientChannel() {
      @Override
      public void put(int key, Completion done) {
        client
            .kv()
            .put(workload.keyPrefix() + String.format("%07d", key), value)
            .whenComplete((r, e) -> done.complete(outcome(e)));
      }

      @Override
      public void get(int key, Completion done) {
        client
            .kv()
            .get(workload.keyPrefix() + String.format("%07d", key))
            .whenComplete(
                (r, e) -> done.complete(e == null && r.isEmpty() ? Outcome.FAILED : outcome(e)));
      }

      @Override
      public void abort() {
        // a late answer completes a stage nobody waits for any more
      }

      @Override
      public void close() {}
    };
  }

  private Outcome outcome(Throwable e) {
    if (e == null) {
      return Outcome.OK;
    }
    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    errors.note(c.toString());
    if (c instanceof UnavailableException u && u.getCause() instanceof HttpTimeoutException) {
      return Outcome.TIMEOUT;
    }
    return c instanceof UnavailableException ? Outcome.IO_ERROR : Outcome.FAILED;
  }

  @Override
  public void close() {
    client.close();
  }
}
