package dev.cairn.client;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Reply;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Keys and values of the client's namespace: reads (linearizable), range reads in pages, writes
 * with a lease and the previous value, deletes, compare-and-set and transactions ({@link #txn()}).
 * Every method is asynchronous; {@link #blocking()} has the same calls, waiting.
 *
 * <p>Reads are retried on another endpoint after a connection failure or a 503; writes only when
 * they cannot have been applied, else they fail with {@link OutcomeUnknownException}.
 */
public final class Kv {
  private final Transport transport;
  private final String base;

  Kv(Transport transport, String base) {
    this.transport = transport;
    this.base = base;
  }

  /** Options of a put: a lease to bind the key to (0: none) and whether to return the old value. */
  public record PutOptions(long lease, boolean prevKv) {
    /** No lease, no previous value. */
    public static final PutOptions NONE = new PutOptions(0, false);

    /** Binds the key to {@code lease}. */
    public static PutOptions lease(long lease) {
      return new PutOptions(lease, false);
    }

    /** The same options, also asking for the previous version of the key. */
    public PutOptions withPrevKv() {
      return new PutOptions(lease, true);
    }
  }

  /**
   * One page of a range read: its keys, the revision every page of the read reflects, and whether
   * more keys follow ({@link #next()} reads them at the same revision).
   */
  public static final class Page {
    private final Kv kv;
    private final String rangeEnd;
    private final int pageSize;
    private final List<KeyValue> kvs;
    private final long revision;
    private final boolean more;

    Page(Kv kv, String rangeEnd, int pageSize, List<KeyValue> kvs, long revision, boolean more) {
      this.kv = kv;
      this.rangeEnd = rangeEnd;
      this.pageSize = pageSize;
      this.kvs = List.copyOf(kvs);
      this.revision = revision;
      this.more = more;
    }

    /** The keys of this page, in key order. */
    public List<KeyValue> kvs() {
      return kvs;
    }

    /** The revision the whole read reflects (every page is read at it). */
    public long revision() {
      return revision;
    }

    /** Whether keys follow this page. */
    public boolean hasMore() {
      return more;
    }

    /**
     * The next page, read at the same revision; fails with {@link CompactedException} if that
     * revision was compacted meanwhile.
     */
    public CompletionStage<Page> next() {
      if (!more || kvs.isEmpty()) {
        return CompletableFuture.completedFuture(
            new Page(kv, rangeEnd, pageSize, List.of(), revision, false));
      }
      String after = kvs.get(kvs.size() - 1).key() + "\0";
      return kv.page(after, rangeEnd, pageSize, revision);
    }
  }

  /** The key's current version, or empty when it does not exist. */
  public CompletionStage<Optional<KeyValue>> get(String key) {
    return transport
        .send(Transport.Call.get(base + "/kv/" + path(key)))
        .handle(
            (a, e) -> {
              if (e != null) {
                Throwable c = Transport.unwrap(e);
                if (c instanceof ProblemException p && p.code().equals("key_not_found")) {
                  return Optional.<KeyValue>empty();
                }
                throw wrap(c);
              }
              return Optional.of(Json.kv(a.json().get("kv")));
            });
  }

  /**
   * The version {@code key} had at {@code revision} (0: the current one), or empty when it did not
   * exist then; fails with {@link ProblemException} {@code compacted} when {@code revision} is
   * below the compaction point.
   */
  public CompletionStage<Optional<KeyValue>> get(String key, long revision) {
    if (revision <= 0) {
      return get(key);
    }
    return read(key, "?revision=" + revision)
        .thenApply(
            r -> r.kvs().isEmpty() ? Optional.<KeyValue>empty() : Optional.of(r.kvs().get(0)));
  }

  /**
   * Every key starting with {@code prefix} as of {@code revision} (0: now), in key order, in one
   * answer (use {@link #range} to page through a large prefix).
   */
  public CompletionStage<Reply.RangeReply> prefixAt(String prefix, long revision) {
    return read(prefix, "?prefix=true" + (revision > 0 ? "&revision=" + revision : ""));
  }

  private CompletionStage<Reply.RangeReply> read(String key, String query) {
    return transport
        .send(Transport.Call.get(base + "/kv/" + path(key) + query))
        .handle(
            (a, e) -> {
              if (e != null) {
                Throwable c = Transport.unwrap(e);
                if (c instanceof ProblemException p && p.code().equals("key_not_found")) {
                  return new Reply.RangeReply(p.revision(), List.of(), 0, false);
                }
                throw wrap(c);
              }
              var j = a.json();
              if (j.hasNonNull("kv")) { // a single key's answer
                return new Reply.RangeReply(
                    j.path("revision").asLong(a.revision()),
                    List.of(Json.kv(j.get("kv"))),
                    1,
                    false);
              }
              return Json.range(j);
            });
  }

  /**
   * Runs a transaction given as the JSON body of {@code POST /v1/txn} ({@code compare}, {@code
   * success}, {@code failure}), as a command line or a script holds it. Not retried after an
   * unknown outcome (it may write).
   */
  public CompletionStage<Reply.TxnReply> txnJson(String json) {
    Json.read(json); // refuses text that is not JSON before anything is sent
    return run(json.getBytes(StandardCharsets.UTF_8), false);
  }

  /**
   * Forgets the history before {@code revision}: reads below it then fail with {@code compacted}.
   * Completes with the compaction point now in force.
   */
  public CompletionStage<Long> compact(long revision) {
    byte[] body = Json.write(Json.MAPPER.createObjectNode().put("revision", revision));
    return transport
        .send(
            new Transport.Call(
                "POST",
                base + "/compact",
                body,
                List.of("Content-Type", "application/json"),
                false))
        .thenApply(a -> a.json().path("compact_revision").asLong());
  }

  /**
   * The first {@code limit} keys (0: all) starting with {@code prefix}, with the count of all of
   * them and whether {@code limit} cut the answer short.
   */
  public CompletionStage<Reply.RangeReply> prefix(String prefix, long limit) {
    return transport
        .send(
            Transport.Call.get(
                base
                    + "/kv/"
                    + path(prefix)
                    + "?prefix=true"
                    + (limit > 0 ? "&limit=" + limit : "")))
        .thenApply(a -> Json.range(a.json()));
  }

  /**
   * The keys starting with {@code prefix} a page of {@code pageSize} at a time, all pages at the
   * revision of the first.
   */
  public CompletionStage<Page> range(String prefix, int pageSize) {
    if (pageSize <= 0) {
      throw new IllegalArgumentException("pageSize must be positive");
    }
    return page(prefix, KeyRange.prefixEnd(prefix), pageSize, 0);
  }

  private CompletionStage<Page> page(String from, String rangeEnd, int pageSize, long revision) {
    String end = rangeEnd.equals(KeyRange.UNBOUNDED) ? "%00" : query(rangeEnd);
    String q = "?range_end=" + end + "&limit=" + pageSize;
    if (revision > 0) {
      q += "&revision=" + revision;
    }
    return transport
        .send(Transport.Call.get(base + "/kv/" + path(from) + q))
        .thenApply(
            a -> {
              Reply.RangeReply r = Json.range(a.json());
              // Later pages read at the first one's revision (the answer names the current one).
              long at = revision > 0 ? revision : r.revision();
              return new Page(this, rangeEnd, pageSize, r.kvs(), at, r.more());
            });
  }

  /** Sets {@code key} to {@code value}. */
  public CompletionStage<Reply.PutReply> put(String key, Bytes value) {
    return put(key, value, PutOptions.NONE);
  }

  /** Sets {@code key} to {@code value} with {@code options} (lease, previous value). */
  public CompletionStage<Reply.PutReply> put(String key, Bytes value, PutOptions options) {
    return write("PUT", key, value, options, List.of()).thenApply(a -> Json.put(a.json()));
  }

  /**
   * Sets {@code key} to {@code value} only if its mod revision is {@code expectedModRevision} (0:
   * only if it does not exist); empty when the condition failed and nothing was written.
   */
  public CompletionStage<Optional<Reply.PutReply>> compareAndSet(
      String key, long expectedModRevision, Bytes value) {
    List<String> condition =
        expectedModRevision == 0
            ? List.of("If-None-Match", "*")
            : List.of("If-Match", "\"" + expectedModRevision + "\"");
    return write("PUT", key, value, PutOptions.NONE, condition)
        .handle(
            (a, e) -> {
              if (e != null) {
                Throwable c = Transport.unwrap(e);
                if (c instanceof ProblemException p && p.code().equals("precondition_failed")) {
                  return Optional.<Reply.PutReply>empty();
                }
                throw wrap(c);
              }
              return Optional.of(Json.put(a.json()));
            });
  }

  /**
   * Creates {@code prefix + <the write's revision, 20 digits>} bound to {@code lease} (0: none):
   * key order is creation order.
   */
  public CompletionStage<Reply.PutReply> createSequential(String prefix, Bytes value, long lease) {
    String q = "?sequential=true" + (lease != 0 ? "&lease=" + lease : "");
    return transport
        .send(
            new Transport.Call(
                "POST", base + "/kv/" + path(prefix) + q, value.toByteArray(), List.of(), false))
        .thenApply(
            a -> {
              var j = a.json();
              return new Reply.PutReply(j.path("revision").asLong(), Json.kv(j.get("kv")), null);
            });
  }

  /** Deletes {@code key}; {@code deleted} is 0 when it did not exist. */
  public CompletionStage<Reply.DeleteReply> delete(String key) {
    return transport
        .send(new Transport.Call("DELETE", base + "/kv/" + path(key), null, List.of(), false))
        .thenApply(a -> Json.delete(a.json()));
  }

  /** Deletes every key starting with {@code prefix}, in one revision. */
  public CompletionStage<Reply.DeleteReply> deletePrefix(String prefix) {
    return transport
        .send(
            new Transport.Call(
                "DELETE", base + "/kv/" + path(prefix) + "?prefix=true", null, List.of(), false))
        .thenApply(a -> Json.delete(a.json()));
  }

  /** A transaction to build: compares, then the operations of each branch. */
  public Txn txn() {
    return new Txn(this);
  }

  /** Runs a built transaction; read-only transactions are retried like reads. */
  CompletionStage<Reply.TxnReply> run(byte[] body, boolean readOnly) {
    return transport
        .send(
            new Transport.Call(
                "POST", base + "/txn", body, List.of("Content-Type", "application/json"), readOnly))
        .thenApply(a -> Json.txn(a.json()));
  }

  private CompletionStage<Transport.Answer> write(
      String method, String key, Bytes value, PutOptions o, List<String> headers) {
    String q = "";
    if (o.lease() != 0) {
      q = "?lease=" + o.lease();
    }
    if (o.prevKv()) {
      q += (q.isEmpty() ? "?" : "&") + "prev_kv=true";
    }
    List<String> h = new ArrayList<>(headers);
    h.add("Content-Type");
    h.add("application/octet-stream");
    return transport.send(
        new Transport.Call(method, base + "/kv/" + path(key) + q, value.toByteArray(), h, false));
  }

  /** The same calls, waiting for each answer. */
  public Blocking blocking() {
    return new Blocking(this);
  }

  /** {@link Kv}'s calls, each waiting for its answer and throwing the client's exceptions. */
  public static final class Blocking {
    private final Kv kv;

    Blocking(Kv kv) {
      this.kv = kv;
    }

    /** See {@link Kv#get}. */
    public Optional<KeyValue> get(String key) {
      return CairnClient.await(kv.get(key));
    }

    /** See {@link Kv#put(String, Bytes, PutOptions)}. */
    public Reply.PutReply put(String key, Bytes value, PutOptions options) {
      return CairnClient.await(kv.put(key, value, options));
    }

    /** See {@link Kv#put(String, Bytes)}. */
    public Reply.PutReply put(String key, String value) {
      return CairnClient.await(kv.put(key, Bytes.utf8(value)));
    }

    /** See {@link Kv#delete}. */
    public Reply.DeleteReply delete(String key) {
      return CairnClient.await(kv.delete(key));
    }

    /** See {@link Kv#compareAndSet}. */
    public Optional<Reply.PutReply> compareAndSet(
        String key, long expectedModRevision, Bytes value) {
      return CairnClient.await(kv.compareAndSet(key, expectedModRevision, value));
    }

    /** See {@link Kv#prefix}. */
    public Reply.RangeReply prefix(String prefix, long limit) {
      return CairnClient.await(kv.prefix(prefix, limit));
    }

    /**
     * Every key starting with {@code prefix}, read in pages of {@code pageSize} at one revision.
     */
    public List<KeyValue> range(String prefix, int pageSize) {
      List<KeyValue> all = new ArrayList<>();
      Page p = CairnClient.await(kv.range(prefix, pageSize));
      all.addAll(p.kvs());
      while (p.hasMore()) {
        p = CairnClient.await(p.next());
        all.addAll(p.kvs());
      }
      return all;
    }
  }

  static RuntimeException wrap(Throwable c) {
    return c instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(c);
  }

  /** A key as a path: percent-encoded, its slashes kept. */
  static String path(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
  }

  static String query(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
