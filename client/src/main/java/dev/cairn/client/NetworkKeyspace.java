package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.recipes.CairnException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The recipes' {@link dev.cairn.recipes.CairnClient} over the network, on a {@link CairnClient}:
 * the recipes of {@code recipes/} run on it unchanged. A refusal of the server reaches them as the
 * {@link CairnException} of its code, as in process; no answer stays the client's {@link
 * UnavailableException} or {@link OutcomeUnknownException} (an infrastructure failure to them).
 * Leases granted through it are not kept alive by the client: the recipes renew their own.
 */
final class NetworkKeyspace implements dev.cairn.recipes.CairnClient {
  private final CairnClient client;

  NetworkKeyspace(CairnClient client) {
    this.client = client;
  }

  @Override
  public CompletionStage<Optional<KeyValue>> get(String key) {
    return recipes(client.kv().get(key));
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix) {
    return recipes(client.kv().prefix(prefix, 0));
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix, long limit) {
    return recipes(client.kv().prefix(prefix, limit));
  }

  @Override
  public CompletionStage<Reply.PutReply> put(String key, Bytes value, long lease) {
    return recipes(client.kv().put(key, value, Kv.PutOptions.lease(lease)));
  }

  @Override
  public CompletionStage<Reply.PutReply> createSequential(String prefix, Bytes value, long lease) {
    return recipes(client.kv().createSequential(prefix, value, lease));
  }

  @Override
  public CompletionStage<Reply.DeleteReply> delete(String key) {
    return recipes(client.kv().delete(key));
  }

  @Override
  public CompletionStage<Reply.TxnReply> txn(Command.Txn txn) {
    Txn t = client.kv().txn();
    txn.compare().forEach(t::compare);
    txn.success().forEach(op -> t.op(true, op));
    txn.failure().forEach(op -> t.op(false, op));
    return recipes(t.commit());
  }

  @Override
  public CompletionStage<Long> grantLease(long ttlSeconds) {
    return recipes(client.leases().grantOnly(ttlSeconds).thenApply(Leases.Lease::id));
  }

  @Override
  public CompletionStage<Long> keepAlive(long lease) {
    return recipes(client.leases().keepAliveOnce(lease));
  }

  /** Completes with no keys: the HTTP API answers a revocation with a count, not the keys. */
  @Override
  public CompletionStage<List<String>> revokeLease(long lease) {
    return recipes(client.leases().revoke(lease).thenApply(n -> List.<String>of()));
  }

  /** On the client's own timer thread, which {@link CairnClient#close()} stops. */
  @Override
  public Scheduled schedule(java.time.Duration delay, Runnable task) {
    return client.schedule(delay, task);
  }

  @Override
  public Watch watch(
      String key, long fromRevision, Consumer<WatchEvent> listener, Consumer<Throwable> onError) {
    return client.watch(key, fromRevision, listener(listener, onError));
  }

  @Override
  public Watch watchPrefix(
      String prefix,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError) {
    return client.watchPrefix(prefix, fromRevision, listener(listener, onError));
  }

  private static WatchListener listener(Consumer<WatchEvent> events, Consumer<Throwable> onError) {
    return new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        events.accept(event);
      }

      @Override
      public void onError(CairnClientException error) {
        onError.accept(recipesError(error));
      }
    };
  }

  /** {@code stage} with the server's refusals as the recipes' {@link CairnException}. */
  private static <T> CompletionStage<T> recipes(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete(
        (v, e) -> {
          if (e == null) {
            out.complete(v);
          } else {
            out.completeExceptionally(recipesError(Transport.unwrap(e)));
          }
        });
    return out;
  }

  static Throwable recipesError(Throwable e) {
    if (e instanceof ProblemException p) {
      Optional<ErrorCode> code = p.errorCode();
      if (code.isPresent()) {
        return new CairnException(code.get(), p.detail() == null ? p.getMessage() : p.detail());
      }
    }
    return e;
  }
}
