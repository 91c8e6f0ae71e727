package dev.cairn.http.recipe;

import dev.cairn.actors.namespace.NamespaceLeader;
import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import dev.cairn.http.watch.WatchSettings;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.PoisonPill;

/**
 * A {@link CairnClient} for one namespace that talks to its leader through {@link Namespaces}: the
 * same requests the HTTP API sends, without HTTP. Watches subscribe to the leader's watch hub
 * through a {@link KeyWatch} actor each, as a watch connection does. A refusal completes a stage
 * with a {@link CairnException} of the refusal's code.
 */
public final class InProcessClient implements CairnClient {
  private final ActorSystem system;
  private final Namespaces namespaces;
  private final String namespace;
  private final WatchSettings watchSettings;

  /** A client of {@code namespace}; its watches take their timings from {@code settings}. */
  public InProcessClient(
      ActorSystem system, Namespaces namespaces, String namespace, WatchSettings settings) {
    this.system = system;
    this.namespaces = namespaces;
    this.namespace = namespace;
    this.watchSettings = settings;
  }

  /** A client of {@code namespace} with the watch timings of the system's {@code cairn.watch}. */
  public InProcessClient(ActorSystem system, Namespaces namespaces, String namespace) {
    this(system, namespaces, namespace, WatchSettings.fromConfig(system.settings().config()));
  }

  private static <R extends Reply> R expect(Reply reply, Class<R> type) {
    if (type.isInstance(reply)) {
      return type.cast(reply);
    }
    if (reply instanceof Reply.Rejected r) {
      throw new CairnException(r.code(), r.rejection().detail());
    }
    throw new IllegalStateException("unhandled " + reply);
  }

  private <R extends Reply> CompletionStage<R> write(Command c, Class<R> type) {
    return namespaces.write(namespace, c).thenApply(r -> expect(r, type));
  }

  private CompletionStage<Reply.RangeReply> range(Read.Range r) {
    return namespaces.read(namespace, r).thenApply(reply -> expect(reply, Reply.RangeReply.class));
  }

  @Override
  public CompletionStage<Optional<KeyValue>> get(String key) {
    return range(Read.Range.key(key)).thenApply(r -> r.kvs().stream().findFirst());
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix) {
    return range(Read.Range.prefix(prefix));
  }

  @Override
  public CompletionStage<Reply.RangeReply> prefix(String prefix, long limit) {
    return range(new Read.Range(prefix, KeyRange.prefixEnd(prefix), limit, 0, false, false));
  }

  @Override
  public CompletionStage<Reply.PutReply> createSequential(String prefix, Bytes value, long lease) {
    return write(new Command.CreateSequential(prefix, value, lease), Reply.PutReply.class);
  }

  @Override
  public CompletionStage<Reply.PutReply> put(String key, Bytes value, long lease) {
    return write(new Command.Put(key, value, lease, false), Reply.PutReply.class);
  }

  @Override
  public CompletionStage<Reply.DeleteReply> delete(String key) {
    return write(Command.Delete.key(key), Reply.DeleteReply.class);
  }

  @Override
  public CompletionStage<Reply.TxnReply> txn(Command.Txn txn) {
    return write(txn, Reply.TxnReply.class);
  }

  @Override
  public CompletionStage<Long> grantLease(long ttlSeconds) {
    return write(new Command.GrantLease(0, ttlSeconds), Reply.LeaseGrantReply.class)
        .thenApply(Reply.LeaseGrantReply::id);
  }

  @Override
  public CompletionStage<Long> keepAlive(long lease) {
    return namespaces
        .ask(namespace, new NamespaceLeader.KeepAlive(lease))
        .thenApply(r -> expect(r, Reply.KeepAliveReply.class).ttlSeconds());
  }

  @Override
  public CompletionStage<List<String>> revokeLease(long lease) {
    return write(new Command.RevokeLease(lease), Reply.LeaseRevokeReply.class)
        .thenApply(Reply.LeaseRevokeReply::deletedKeys);
  }

  /** On the actor system's scheduler, run on its default dispatcher. */
  @Override
  public Scheduled schedule(Duration delay, Runnable task) {
    Cancellable c = system.scheduler().scheduleOnce(delay, task, system.dispatcher());
    return c::cancel;
  }

  @Override
  public Watch watch(
      String key, long fromRevision, Consumer<WatchEvent> listener, Consumer<Throwable> onError) {
    return watch(key, null, fromRevision, listener, onError);
  }

  @Override
  public Watch watchPrefix(
      String prefix,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError) {
    return watch(prefix, KeyRange.prefixEnd(prefix), fromRevision, listener, onError);
  }

  private Watch watch(
      String key,
      String rangeEnd,
      long fromRevision,
      Consumer<WatchEvent> listener,
      Consumer<Throwable> onError) {
    KeyWatch.Handle handle = new KeyWatch.Handle();
    ActorRef watcher =
        system.actorOf(
            KeyWatch.props(
                namespaces,
                namespace,
                watchSettings,
                key,
                rangeEnd,
                fromRevision,
                listener,
                onError,
                handle));
    return () -> {
      handle.cancelled = true;
      watcher.tell(PoisonPill.getInstance(), ActorRef.noSender());
    };
  }
}
