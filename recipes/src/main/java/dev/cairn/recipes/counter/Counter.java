package dev.cairn.recipes.counter;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An atomic counter: one key {@link #key(String)} holding a decimal 64-bit integer, changed only by
 * compare-and-set transactions. An addition reads the value, then writes value + delta on the
 * condition that the key's mod revision is still the one read; when another change came first, the
 * transaction's failure branch returns the new value and the addition tries again with it. Each try
 * is one round trip, and a try fails only because another addition succeeded, so the counter as a
 * whole always makes progress; a single addition gives up after {@link #MAX_TRIES} tries with
 * {@code timeout}.
 */
public final class Counter {
  /** Where every counter lives; keys under it are reserved for this recipe. */
  public static final String ROOT = "_cairn/counters/";

  /** Tries of one addition before it gives up (each lost only to another addition's success). */
  public static final int MAX_TRIES = 10_000;

  private final CairnClient client;

  public Counter(CairnClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The counter's value as of {@code revision} (for an addition: the revision that made it). */
  public record Value(String name, long value, long revision) {}

  /** The key of counter {@code name}; {@code /} and {@code %} escaped as for locks. */
  public static String key(String name) {
    return ROOT + name.replace("%", "%25").replace("/", "%2F");
  }

  /**
   * Adds {@code delta} to counter {@code name}, creating it at {@code initial} first when it does
   * not exist.
   *
   * @return the value after the addition, with the revision of the change; or a failure: {@code
   *     invalid_argument} when the sum overflows 64 bits, {@code timeout} after {@link #MAX_TRIES}
   */
  public CompletionStage<Value> add(String name, long delta, long initial) {
    String key = key(name);
    long created;
    try {
      created = Math.addExact(initial, delta);
    } catch (ArithmeticException e) {
      throw overflow(name, initial, delta);
    }
    // First try: create it if absent, else learn its value.
    return client
        .txn(
            new Command.Txn(
                List.of(Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0)),
                List.of(put(key, created)),
                List.of(Read.Range.key(key))))
        .thenCompose(
            r ->
                r.succeeded()
                    ? CompletableFuture.completedFuture(new Value(name, created, r.revision()))
                    : retry(name, delta, initial, current(r), 1));
  }

  private CompletionStage<Value> retry(
      String name, long delta, long initial, KeyValue seen, int tries) {
    if (seen == null) { // deleted between our tries: start over as a creation
      return add(name, delta, initial);
    }
    if (tries >= MAX_TRIES) {
      throw new CairnException(
          ErrorCode.TIMEOUT,
          "counter " + name + " changed under every one of " + tries + " tries; retry");
    }
    long now = parse(name, seen);
    long next;
    try {
      next = Math.addExact(now, delta);
    } catch (ArithmeticException e) {
      throw overflow(name, now, delta);
    }
    String key = key(name);
    return client
        .txn(
            new Command.Txn(
                List.of(
                    Compare.number(
                        key, Compare.Target.MOD_REVISION, Compare.Op.EQUAL, seen.modRevision())),
                List.of(put(key, next)),
                List.of(Read.Range.key(key))))
        .thenCompose(
            r ->
                r.succeeded()
                    ? CompletableFuture.completedFuture(new Value(name, next, r.revision()))
                    : retry(name, delta, initial, current(r), tries + 1));
  }

  private static Command.Put put(String key, long value) {
    return new Command.Put(key, Bytes.utf8(Long.toString(value)), 0, false);
  }

  private static KeyValue current(Reply.TxnReply r) {
    List<KeyValue> kvs = ((Reply.RangeReply) r.responses().get(0)).kvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  /** The value of counter {@code name}; {@code counter_not_found} when it does not exist. */
  public CompletionStage<Value> read(String name) {
    return client
        .prefix(key(name))
        .thenApply(
            r ->
                r.kvs().stream()
                    .filter(kv -> kv.key().equals(key(name)))
                    .findFirst()
                    .map(kv -> new Value(name, parse(name, kv), r.revision()))
                    .orElseThrow(
                        () ->
                            new CairnException(
                                ErrorCode.COUNTER_NOT_FOUND,
                                "no counter " + name + "; its first addition creates it")));
  }

  private static long parse(String name, KeyValue kv) {
    try {
      return Long.parseLong(kv.value().utf8String());
    } catch (NumberFormatException e) {
      throw new CairnException(
          ErrorCode.INVALID_ARGUMENT, "counter " + name + "'s key does not hold an integer");
    }
  }

  private static CairnException overflow(String name, long value, long delta) {
    return new CairnException(
        ErrorCode.INVALID_ARGUMENT,
        "adding " + delta + " to counter " + name + " at " + value + " overflows 64 bits");
  }
}
