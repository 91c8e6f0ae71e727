package dev.cairn.http.kv;

import dev.cairn.actors.namespace.Namespaces;
import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.http.ApiException;
import dev.cairn.http.Json;
import dev.cairn.http.Request;
import dev.cairn.http.Responses;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Handlers for {@code /kv}, {@code /txn} and {@code /compact} in one namespace. */
public final class KvApi {
  private final Namespaces namespaces;

  /** Told of every transaction that succeeded: its namespace and the transaction. */
  private volatile BiConsumer<String, Command.Txn> committed = (ns, txn) -> {};

  public KvApi(Namespaces namespaces) {
    this.namespaces = namespaces;
  }

  /**
   * Tells {@code listener} of every transaction that succeeded here, after it committed (on the
   * thread that renders its answer; it must be quick).
   */
  public void onCommittedTxn(BiConsumer<String, Command.Txn> listener) {
    this.committed = listener;
  }

  /** {@code /kv/{key}}: {@code rawKey} is the percent-encoded rest of the path. */
  public CompletionStage<HttpResponse> kv(Request r, String rawKey) {
    String key = Request.decode(rawKey);
    var m = r.method();
    if (m == HttpMethods.GET || m == HttpMethods.HEAD) {
      return get(r, key);
    } else if (m == HttpMethods.PUT) {
      return put(r, key);
    } else if (m == HttpMethods.DELETE) {
      return delete(r, key);
    } else if (m == HttpMethods.POST) {
      return createSequential(r, key);
    }
    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: GET, PUT, DELETE, POST");
  }

  // ------------------------------------------------------------------- put

  private CompletionStage<HttpResponse> put(Request r, String key) {
    Command.Put put =
        new Command.Put(key, Bytes.wrap(r.body()), r.longParam("lease", 0), r.flag("prev_kv"));
    List<Compare> guard = conditions(r, key);
    if (guard.isEmpty()) {
      return write(r.namespace(), put);
    }
    return namespaces
        .write(r.namespace(), new Command.Txn(guard, List.of(put), List.of()))
        .thenApply(reply -> guarded(reply, KvApi::putResponse));
  }

  /** The answer to an unconditional put. */
  private CompletionStage<HttpResponse> write(String namespace, Command.Put put) {
    return namespaces.write(namespace, put).thenApply(KvApi::putResponse);
  }

  private static HttpResponse putResponse(Reply reply) {
    if (reply instanceof Reply.PutReply p) {
      return Responses.json(200, putBody(p), p.revision(), Responses.etag(p.kv().modRevision()));
    }
    return other(reply);
  }

  private static KvBodies.PutResponse putBody(Reply.PutReply p) {
    return new KvBodies.PutResponse(
        p.revision(), Json.kv(p.kv(), false), Json.kv(p.prevKv(), true));
  }

  private CompletionStage<HttpResponse> createSequential(Request r, String prefix) {
    if (!r.flag("sequential")) {
      throw new ApiException(
          ErrorCode.METHOD_NOT_ALLOWED, "POST on a key needs ?sequential=true; use PUT to write");
    }
    Command.CreateSequential c =
        new Command.CreateSequential(prefix, Bytes.wrap(r.body()), r.longParam("lease", 0));
    return namespaces
        .write(r.namespace(), c)
        .thenApply(
            reply -> {
              if (reply instanceof Reply.PutReply p) {
                return Responses.json(
                    201,
                    new KvBodies.GetResponse(p.revision(), Json.kv(p.kv(), true)),
                    p.revision(),
                    Responses.etag(p.kv().modRevision()),
                    RawHeader.create("Location", location(r.namespace(), p.kv().key())));
              }
              return other(reply);
            });
  }

  /** The URL path of {@code key} in {@code namespace}, percent-encoded ('/' kept). */
  private static String location(String namespace, String key) {
    String prefix = Namespaces.DEFAULT.equals(namespace) ? "/v1" : "/v1/ns/" + namespace;
    String encoded =
        java.net.URLEncoder.encode(key, StandardCharsets.UTF_8)
            .replace("+", "%20")
            .replace("%2F", "/");
    return prefix + "/kv/" + encoded;
  }

  // ------------------------------------------------------------------- get

  /**
   * Whether the request asks for a serializable read ({@code consistency=serializable}): answered
   * by this node's replica, possibly stale; linearizable (the default) otherwise.
   */
  public static boolean serializable(Request r) {
    return r.param("consistency")
        .map(
            c -> {
              if (!c.equals("linearizable") && !c.equals("serializable")) {
                throw new ApiException(
                    ErrorCode.MALFORMED_REQUEST,
                    "consistency must be linearizable or serializable, not '" + c + "'");
              }
              return c.equals("serializable");
            })
        .orElse(false);
  }

  private CompletionStage<HttpResponse> get(Request r, String key) {
    boolean serializable = serializable(r);
    String rangeEnd = rangeEnd(r, key);
    Read.Range range =
        new Read.Range(
            key,
            rangeEnd,
            r.longParam("limit", 0),
            r.longParam("revision", 0),
            r.flag("keys_only"),
            r.flag("count_only"));
    boolean raw = r.header("Accept").map(a -> a.contains("application/octet-stream")).orElse(false);
    if (raw && rangeEnd != null) {
      throw new ApiException(
          ErrorCode.NOT_ACCEPTABLE, "raw bytes are served for a single key only, not a range");
    }
    return read(r.namespace(), range, serializable, raw);
  }

  /** The answer to a {@code GET} of {@code range}: its key, or its range when it has an end. */
  private CompletionStage<HttpResponse> read(
      String namespace, Read.Range range, boolean serializable, boolean raw) {
    return (serializable
            ? namespaces.readSerializable(namespace, range)
            : namespaces.read(namespace, range))
        .thenApply(reply -> getResponse(reply, range, raw));
  }

  private static HttpResponse getResponse(Reply reply, Read.Range range, boolean raw) {
    if (!(reply instanceof Reply.RangeReply rr)) {
      return other(reply);
    }
    if (range.rangeEnd() != null) {
      return Responses.json(200, rangeBody(rr, !range.keysOnly()), rr.revision());
    }
    if (range.countOnly()) {
      return Responses.json(
          200, new KvBodies.CountResponse(rr.revision(), rr.count()), rr.revision());
    }
    if (rr.kvs().isEmpty()) {
      return Responses.problem(
          ErrorCode.KEY_NOT_FOUND, "key '" + range.key() + "' not found", rr.revision(), 0);
    }
    KeyValue kv = rr.kvs().get(0);
    if (raw) {
      return HttpResponse.create()
          .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, kv.value().unsafeArray())
          .addHeader(Responses.etag(kv.modRevision()))
          .addHeader(RawHeader.create(Responses.REVISION_HEADER, Long.toString(rr.revision())));
    }
    return Responses.json(
        200,
        new KvBodies.GetResponse(rr.revision(), Json.kv(kv, !range.keysOnly())),
        rr.revision(),
        Responses.etag(kv.modRevision()));
  }

  /**
   * {@code GET /kv/{key}} with no parameter and no header, for a session's call (see {@link
   * dev.cairn.http.Api#plain}): the same read and the same answer, without a request to parse.
   */
  public CompletionStage<HttpResponse> plainGet(String namespace, String key) {
    return read(namespace, Read.Range.key(key), false, false);
  }

  /** {@code PUT /kv/{key}} with no parameter and no header, for a session's call. */
  public CompletionStage<HttpResponse> plainPut(String namespace, String key, byte[] value) {
    return write(namespace, new Command.Put(key, Bytes.wrap(value), 0, false));
  }

  private static KvBodies.RangeResponse rangeBody(Reply.RangeReply rr, boolean values) {
    List<Json.Kv> kvs = new ArrayList<>(rr.kvs().size());
    for (KeyValue kv : rr.kvs()) {
      kvs.add(Json.kv(kv, values));
    }
    return new KvBodies.RangeResponse(rr.revision(), kvs, rr.count(), rr.more());
  }

  // ---------------------------------------------------------------- delete

  private CompletionStage<HttpResponse> delete(Request r, String key) {
    String rangeEnd = rangeEnd(r, key);
    Command.Delete del = new Command.Delete(key, rangeEnd, r.flag("prev_kv"));
    List<Compare> guard = conditions(r, key);
    if (!guard.isEmpty() && rangeEnd != null) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "conditional headers apply to a single key, not a range");
    }
    if (guard.isEmpty()) {
      return namespaces.write(r.namespace(), del).thenApply(KvApi::deleteResponse);
    }
    return namespaces
        .write(r.namespace(), new Command.Txn(guard, List.of(del), List.of()))
        .thenApply(reply -> guarded(reply, KvApi::deleteResponse));
  }

  private static HttpResponse deleteResponse(Reply reply) {
    if (reply instanceof Reply.DeleteReply d) {
      return Responses.json(200, deleteBody(d), d.revision());
    }
    return other(reply);
  }

  private static KvBodies.DeleteResponse deleteBody(Reply.DeleteReply d) {
    return new KvBodies.DeleteResponse(
        d.revision(),
        d.deleted(),
        d.prevKvs().isEmpty() ? null : d.prevKvs().stream().map(kv -> Json.kv(kv, true)).toList());
  }

  // ------------------------------------------------------------------- txn

  public CompletionStage<HttpResponse> txn(Request r) {
    if (r.method() != HttpMethods.POST) {
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
    }
    TxnJson.Body body = Json.read(r.body(), TxnJson.Body.class);
    List<Compare> compares = new ArrayList<>();
    for (TxnJson.CompareBody c : orEmpty(body.compare())) {
      compares.add(compare(c));
    }
    Command.Txn txn =
        new Command.Txn(compares, ops(body.success(), "success"), ops(body.failure(), "failure"));
    return namespaces
        .write(r.namespace(), txn)
        .thenApply(
            reply -> {
              if (!(reply instanceof Reply.TxnReply t)) {
                return other(reply);
              }
              if (t.succeeded()) {
                committed.accept(r.namespace(), txn);
              }
              List<KvBodies.TxnOpResponse> responses = new ArrayList<>(t.responses().size());
              List<Command.TxnOp> ran = t.succeeded() ? txn.success() : txn.failure();
              for (int i = 0; i < t.responses().size(); i++) {
                responses.add(opResponse(t.responses().get(i), ran.get(i)));
              }
              return Responses.json(
                  200,
                  new KvBodies.TxnResponse(t.succeeded(), t.revision(), responses),
                  t.revision());
            });
  }

  /** One op's answer, shaped as the same request made alone would be answered. */
  private static KvBodies.TxnOpResponse opResponse(Reply op, Command.TxnOp request) {
    if (op instanceof Reply.PutReply p) {
      return new KvBodies.TxnOpResponse(putBody(p), null, null);
    } else if (op instanceof Reply.DeleteReply d) {
      return new KvBodies.TxnOpResponse(null, deleteBody(d), null);
    } else if (op instanceof Reply.RangeReply rr) {
      boolean values = !(request instanceof Read.Range r && r.keysOnly());
      return new KvBodies.TxnOpResponse(null, null, rangeBody(rr, values));
    }
    throw new IllegalStateException("unhandled " + op);
  }

  private static Compare compare(TxnJson.CompareBody c) {
    if (c != null && c.fence() != null) {
      if (c.key() != null || c.target() != null || c.op() != null || c.value() != null) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST,
            "a fence compare has only fence: {lock|election|rwlock, token}");
      }
      return Fences.fromBody(c.fence());
    }
    if (c == null || c.key() == null || c.target() == null || c.op() == null) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "a compare needs key, target, op and value");
    }
    Compare.Op op =
        switch (c.op()) {
          case "=", "==" -> Compare.Op.EQUAL;
          case "!=" -> Compare.Op.NOT_EQUAL;
          case "<" -> Compare.Op.LESS;
          case ">" -> Compare.Op.GREATER;
          default ->
              throw new ApiException(
                  ErrorCode.MALFORMED_REQUEST,
                  "unknown compare op '" + c.op() + "'; use =, !=, < or >");
        };
    Compare.Target target =
        switch (c.target()) {
          case "value" -> Compare.Target.VALUE;
          case "version" -> Compare.Target.VERSION;
          case "create_revision" -> Compare.Target.CREATE_REVISION;
          case "mod_revision" -> Compare.Target.MOD_REVISION;
          case "lease" -> Compare.Target.LEASE;
          default ->
              throw new ApiException(
                  ErrorCode.MALFORMED_REQUEST,
                  "unknown compare target '"
                      + c.target()
                      + "'; use value, version, create_revision, mod_revision or lease");
        };
    if (c.value() == null || c.value().isNull()) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "a compare needs a value");
    }
    if (target == Compare.Target.VALUE) {
      if (!c.value().isTextual()) {
        throw new ApiException(ErrorCode.MALFORMED_REQUEST, "a value compare needs a string");
      }
      return Compare.value(c.key(), op, bytes(c.value().asText(), c.encoding()));
    }
    long n;
    if (c.value().isIntegralNumber() && c.value().canConvertToLong()) {
      n = c.value().asLong();
    } else if (c.value().isTextual()) {
      try {
        n = Long.parseLong(c.value().asText());
      } catch (NumberFormatException e) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST, "compare on " + c.target() + " needs an integer");
      }
    } else {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "compare on " + c.target() + " needs an integer");
    }
    return Compare.number(c.key(), target, op, n);
  }

  private static List<Command.TxnOp> ops(List<TxnJson.OpBody> bodies, String branch) {
    List<Command.TxnOp> out = new ArrayList<>();
    for (TxnJson.OpBody b : orEmpty(bodies)) {
      int set =
          b == null
              ? 0
              : (b.put() != null ? 1 : 0)
                  + (b.delete() != null ? 1 : 0)
                  + (b.range() != null ? 1 : 0);
      if (set != 1) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST,
            "each " + branch + " op must hold exactly one of put, delete, range");
      }
      if (b.put() != null) {
        TxnJson.PutBody p = b.put();
        requireKey(p.key());
        if (p.value() == null) {
          throw new ApiException(ErrorCode.MALFORMED_REQUEST, "a put needs a value");
        }
        out.add(
            new Command.Put(
                p.key(),
                bytes(p.value(), p.encoding()),
                p.lease() == null ? 0 : p.lease(),
                Boolean.TRUE.equals(p.prevKv())));
      } else if (b.delete() != null) {
        TxnJson.DeleteBody d = b.delete();
        requireKey(d.key());
        out.add(
            new Command.Delete(
                d.key(),
                rangeEnd(d.key(), d.prefix(), d.rangeEnd()),
                Boolean.TRUE.equals(d.prevKv())));
      } else {
        TxnJson.RangeBody g = b.range();
        requireKey(g.key());
        out.add(
            new Read.Range(
                g.key(),
                rangeEnd(g.key(), g.prefix(), g.rangeEnd()),
                g.limit() == null ? 0 : g.limit(),
                g.revision() == null ? 0 : g.revision(),
                Boolean.TRUE.equals(g.keysOnly()),
                Boolean.TRUE.equals(g.countOnly())));
      }
    }
    return out;
  }

  // --------------------------------------------------------------- compact

  public CompletionStage<HttpResponse> compact(Request r) {
    if (r.method() != HttpMethods.POST) {
      throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "allowed: POST");
    }
    TxnJson.CompactBody body = Json.read(r.body(), TxnJson.CompactBody.class);
    if (body.revision() == null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "compact needs a revision");
    }
    return namespaces
        .write(r.namespace(), new Command.Compact(body.revision()))
        .thenApply(
            reply -> {
              if (reply instanceof Reply.CompactReply c) {
                return Responses.json(
                    200,
                    new KvBodies.CompactResponse(c.revision(), c.compactRevision()),
                    c.revision());
              }
              return other(reply);
            });
  }

  // --------------------------------------------------------------- helpers

  /**
   * If-Match / If-None-Match, then the fences of {@code X-Cairn-Fence} (a lock), {@code
   * X-Cairn-Fence-Election} and {@code X-Cairn-Fence-Rwlock} (see {@link Fences}); a fence that
   * does not hold refuses the write with 412 {@code fenced}.
   */
  private static List<Compare> conditions(Request r, String key) {
    List<Compare> out = new ArrayList<>(2);
    guard(r, key).ifPresent(out::add);
    out.addAll(Fences.fromHeaders(r));
    return out;
  }

  /** If-Match / If-None-Match as a compare on the key; a failed compare becomes 412. */
  private static Optional<Compare> guard(Request r, String key) {
    Optional<String> ifMatch = r.header("If-Match");
    Optional<String> ifNoneMatch = r.header("If-None-Match");
    if (ifMatch.isPresent() && ifNoneMatch.isPresent()) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST, "use either If-Match or If-None-Match, not both");
    }
    if (ifNoneMatch.isPresent()) {
      if (!ifNoneMatch.get().trim().equals("*")) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST, "If-None-Match supports only * (create if absent)");
      }
      return Optional.of(Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.EQUAL, 0));
    }
    if (ifMatch.isPresent()) {
      String v = ifMatch.get().trim();
      if (v.equals("*")) {
        return Optional.of(
            Compare.number(key, Compare.Target.CREATE_REVISION, Compare.Op.GREATER, 0));
      }
      if (v.length() < 3 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST, "If-Match must be a quoted revision like \"42\" or *");
      }
      long rev;
      try {
        rev = Long.parseLong(v.substring(1, v.length() - 1));
      } catch (NumberFormatException e) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST, "If-Match must be a quoted revision like \"42\" or *");
      }
      if (rev <= 0) {
        throw new ApiException(ErrorCode.MALFORMED_REQUEST, "If-Match revision must be positive");
      }
      return Optional.of(Compare.number(key, Compare.Target.MOD_REVISION, Compare.Op.EQUAL, rev));
    }
    return Optional.empty();
  }

  private static HttpResponse guarded(
      Reply reply, java.util.function.Function<Reply, HttpResponse> onSuccess) {
    if (reply instanceof Reply.TxnReply t) {
      if (!t.succeeded()) {
        return Responses.problem(
            ErrorCode.PRECONDITION_FAILED,
            "the key's current revision does not match the condition",
            t.revision(),
            0);
      }
      return onSuccess.apply(t.responses().get(0));
    }
    return other(reply);
  }

  private static String rangeEnd(Request r, String key) {
    boolean prefix = r.flag("prefix");
    Optional<String> end = r.param("range_end");
    return rangeEnd(key, prefix, end.orElse(null));
  }

  private static String rangeEnd(String key, Boolean prefix, String rangeEnd) {
    if (Boolean.TRUE.equals(prefix) && rangeEnd != null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "use either prefix or range_end");
    }
    if (Boolean.TRUE.equals(prefix)) {
      return KeyRange.prefixEnd(key);
    }
    if (rangeEnd != null) {
      if (rangeEnd.isEmpty()) {
        // "" is KeyRange.UNBOUNDED: an empty range_end= would silently mean "every key from here".
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST, "range_end must not be empty; %00 means no upper bound");
      }
      return rangeEnd.equals("\0") ? KeyRange.UNBOUNDED : rangeEnd;
    }
    return null;
  }

  private static void requireKey(String key) {
    if (key == null) {
      throw new ApiException(ErrorCode.MALFORMED_REQUEST, "an op needs a key");
    }
  }

  private static Bytes bytes(String value, String encoding) {
    if (encoding == null || encoding.equals("utf-8")) {
      return Bytes.wrap(value.getBytes(StandardCharsets.UTF_8));
    }
    if (encoding.equals("base64")) {
      try {
        return Bytes.wrap(Base64.getDecoder().decode(value));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ErrorCode.MALFORMED_REQUEST, "value is not valid base64");
      }
    }
    throw new ApiException(
        ErrorCode.MALFORMED_REQUEST, "encoding must be utf-8 or base64, not '" + encoding + "'");
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }

  /** A reply that is not the expected success: a rejection, or a bug. */
  public static HttpResponse other(Object reply) {
    if (reply instanceof Reply.Rejected rj) {
      return Responses.problem(rj.rejection(), rj.revision());
    }
    throw new IllegalStateException("unexpected reply " + reply);
  }
}
