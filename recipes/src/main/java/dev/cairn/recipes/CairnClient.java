package dev.cairn.recipes;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.core.keyspace.WatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The keyspace primitives recipes are written against: kv, transactions, leases and watches of one
 * namespace. The server implements it in process; a network client implements it over HTTP.
 *
 * <p>Every method is asynchronous. A refusal of the store completes the stage exceptionally with a
 * {@link CairnException} carrying its {@link dev.cairn.core.ErrorCode}; any other exception is an
 * infrastructure failure. Writes are linearizable: a stage completes once the change is durable,
 * and its reply's revision orders it against every other change.
 */
public interface CairnClient {

  /** The key's current version, or empty when it does not exist. */
  CompletionStage<Optional<KeyValue>> get(String key);

  /** Every key starting with {@code prefix}, in key order, with the revision they reflect. */
  CompletionStage<Reply.RangeReply> prefix(String prefix);

  /**
   * The first {@code limit} keys (0 = all) starting with {@code prefix}, in key order; {@code
   * count} still counts every key, and {@code more} says that {@code limit} cut the answer short.
   */
  CompletionStage<Reply.RangeReply> prefix(String prefix, long limit);

  /** Sets {@code key} to {@code value}, bound to {@code lease} (0 for none). */
  CompletionStage<Reply.PutReply> put(String key, Bytes value, long lease);

  /**
   * Creates the key {@code prefix + <the write's revision, 20 digits>} bound to {@code lease} (0
   * for none): key order is creation order, and the key's create revision is its suffix.
   */
  CompletionStage<Reply.PutReply> createSequential(String prefix, Bytes value, long lease);

  /** Deletes {@code key}; {@code deleted} is 0 when it did not exist. */
  CompletionStage<Reply.DeleteReply> delete(String key);

  /** Runs the transaction atomically; its compares decide which branch runs. */
  CompletionStage<Reply.TxnReply> txn(Command.Txn txn);

  /** Grants a lease of {@code ttlSeconds}; completes with its id. */
  CompletionStage<Long> grantLease(long ttlSeconds);

  /** Renews {@code lease}; {@code lease_not_found} when it has expired or never existed. */
  CompletionStage<Long> keepAlive(long lease);

  /** Revokes {@code lease}, deleting every key bound to it; completes with those keys. */
  CompletionStage<List<String>> revokeLease(long lease);

  /**
   * Watches one key's changes with revision {@code >= fromRevision}, delivered to {@code listener}
   * one at a time in revision order, until the returned handle is cancelled. A watch that cannot
   * continue (its start is compacted, the namespace is gone) ends with {@code onError}.
   */
  Watch watch(
      String key, long fromRevision, Consumer<WatchEvent> listener, Consumer<Throwable> onError);

  /**
   * Watches every key starting with {@code prefix}: as {@link #watch}, with every change of a
   * revision under the prefix delivered (in the order the revision made them) before the next
   * revision's.
   */
  Watch watchPrefix(
      String prefix, long fromRevision, Consumer<WatchEvent> listener, Consumer<Throwable> onError);

  /**
   * Runs {@code task} once after {@code delay} on a timer of this client's, never on the JDK's
   * common pool (on a 2-core machine that pool has one thread, or none, and then every task gets a
   * new thread), unless the returned handle is cancelled first. Recipes time their waits with it
   * and cancel the timer when the wait ends. The default is one daemon timer thread shared by every
   * client that does not supply its own; a client that must leave no thread behind overrides it.
   */
  default Scheduled schedule(Duration delay, Runnable task) {
    return SharedTimer.schedule(delay, task);
  }

  /** A task {@link #schedule scheduled} to run once. */
  interface Scheduled {
    /** Keeps the task from running if it has not started; idempotent. */
    void cancel();
  }

  /** A running watch. */
  interface Watch {
    /** Stops delivery; idempotent. No event is delivered after it returns. */
    void cancel();
  }
}
