package dev.cairn.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.core.Bytes;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.core.keyspace.KeyRange;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.recipes.election.Election;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.rwlock.RwLock;
import java.util.concurrent.CompletionStage;

/**
 * A transaction being built: compares ({@code if…}), then the operations that run when all hold
 * ({@code then…}) or when one does not ({@code orElse…}), atomically, in one revision. Not
 * thread-safe; {@link #commit()} sends it.
 *
 * <pre>{@code
 * kv.txn().ifModRevision("cfg", Compare.Op.EQUAL, rev)
 *     .thenPut("cfg", Bytes.utf8("v2"))
 *     .orElseGet("cfg")
 *     .commit();
 * }</pre>
 */
public final class Txn {
  private final Kv kv;
  private final ObjectNode body = Json.MAPPER.createObjectNode();
  private final ArrayNode compare = body.putArray("compare");
  private final ArrayNode success = body.putArray("success");
  private final ArrayNode failure = body.putArray("failure");
  private boolean writes;

  Txn(Kv kv) {
    this.kv = kv;
  }

  /** Holds when {@code key}'s value compares to {@code value} with {@code op}. */
  public Txn ifValue(String key, Compare.Op op, Bytes value) {
    ObjectNode c = compare.addObject();
    c.put("key", key).put("target", "value").put("op", op(op));
    Json.putValue(c, "value", value);
    return this;
  }

  /** Holds when {@code key}'s version (0: absent) compares to {@code version}. */
  public Txn ifVersion(String key, Compare.Op op, long version) {
    return number(key, "version", op, version);
  }

  /** Holds when {@code key}'s mod revision (0: absent) compares to {@code revision}. */
  public Txn ifModRevision(String key, Compare.Op op, long revision) {
    return number(key, "mod_revision", op, revision);
  }

  /** Holds when {@code key}'s create revision (0: absent) compares to {@code revision}. */
  public Txn ifCreateRevision(String key, Compare.Op op, long revision) {
    return number(key, "create_revision", op, revision);
  }

  /** Holds when {@code key}'s lease (0: none or absent) compares to {@code lease}. */
  public Txn ifLease(String key, Compare.Op op, long lease) {
    return number(key, "lease", op, lease);
  }

  /**
   * Refuses the whole transaction with {@code fenced} (412) unless lock {@code lock} is still held
   * with fencing token {@code token}.
   */
  public Txn fence(String lock, long token) {
    return fence("lock", lock, token);
  }

  /**
   * Refuses the whole transaction with {@code fenced} (412) unless {@code token} is still the
   * fencing token of election {@code election}'s leader.
   */
  public Txn fenceElection(String election, long token) {
    return fence("election", election, token);
  }

  /**
   * Refuses the whole transaction with {@code fenced} (412) unless read-write lock {@code rwlock}
   * is still held for writing with {@code token} (a reader's token fences nothing).
   */
  public Txn fenceRwLock(String rwlock, long token) {
    return fence("rwlock", rwlock, token);
  }

  private Txn fence(String kind, String name, long token) {
    ObjectNode f = compare.addObject().putObject("fence");
    f.put(kind, name).put("token", token);
    return this;
  }

  /** Adds core's {@link Compare} (the recipes' form). */
  public Txn compare(Compare c) {
    if (c.target() == Compare.Target.FENCE) {
      String[] kindAndName = fenceOf(c.key());
      return fence(kindAndName[0], kindAndName[1], c.number());
    }
    if (c.target() == Compare.Target.VALUE) {
      return ifValue(c.key(), c.op(), c.value());
    }
    return number(
        c.key(), c.target().name().toLowerCase(java.util.Locale.ROOT), c.op(), c.number());
  }

  /** Then: sets {@code key}. */
  public Txn thenPut(String key, Bytes value) {
    return thenPut(key, value, 0);
  }

  /** Then: sets {@code key} bound to {@code lease}. */
  public Txn thenPut(String key, Bytes value, long lease) {
    put(success, key, value, lease, false);
    return this;
  }

  /** Then: deletes {@code key}. */
  public Txn thenDelete(String key) {
    delete(success, key, null, false);
    return this;
  }

  /** Then: reads {@code key}. */
  public Txn thenGet(String key) {
    range(success, key, false, 0);
    return this;
  }

  /** Otherwise: sets {@code key}. */
  public Txn orElsePut(String key, Bytes value) {
    put(failure, key, value, 0, false);
    return this;
  }

  /** Otherwise: deletes {@code key}. */
  public Txn orElseDelete(String key) {
    delete(failure, key, null, false);
    return this;
  }

  /** Otherwise: reads {@code key}. */
  public Txn orElseGet(String key) {
    range(failure, key, false, 0);
    return this;
  }

  /** Adds core's operation to a branch (the recipes' form). */
  Txn op(boolean then, Command.TxnOp op) {
    ArrayNode branch = then ? success : failure;
    if (op instanceof Command.Put p) {
      put(branch, p.key(), p.value(), p.lease(), p.prevKv());
    } else if (op instanceof Command.Delete d) {
      delete(branch, d.key(), d.rangeEnd(), d.prevKv());
    } else if (op instanceof dev.cairn.core.keyspace.Read.Range r) {
      ObjectNode o = branch.addObject().putObject("range");
      o.put("key", r.key());
      if (r.rangeEnd() != null) {
        o.put("range_end", r.rangeEnd().equals(KeyRange.UNBOUNDED) ? "\0" : r.rangeEnd());
      }
      if (r.limit() > 0) {
        o.put("limit", r.limit());
      }
      if (r.revision() > 0) {
        o.put("revision", r.revision());
      }
      if (r.keysOnly()) {
        o.put("keys_only", true);
      }
      if (r.countOnly()) {
        o.put("count_only", true);
      }
    } else {
      throw new IllegalStateException("unhandled " + op);
    }
    return this;
  }

  /** Sends the transaction; a transaction that only reads is retried like a read. */
  public CompletionStage<Reply.TxnReply> commit() {
    return kv.run(Json.write(body), !writes);
  }

  private Txn number(String key, String target, Compare.Op op, long n) {
    compare.addObject().put("key", key).put("target", target).put("op", op(op)).put("value", n);
    return this;
  }

  private void put(ArrayNode branch, String key, Bytes value, long lease, boolean prevKv) {
    writes = true;
    ObjectNode o = branch.addObject().putObject("put");
    o.put("key", key);
    Json.putValue(o, "value", value);
    if (lease != 0) {
      o.put("lease", lease);
    }
    if (prevKv) {
      o.put("prev_kv", true);
    }
  }

  private void delete(ArrayNode branch, String key, String rangeEnd, boolean prevKv) {
    writes = true;
    ObjectNode o = branch.addObject().putObject("delete");
    o.put("key", key);
    if (rangeEnd != null) {
      o.put("range_end", rangeEnd.equals(KeyRange.UNBOUNDED) ? "\0" : rangeEnd);
    }
    if (prevKv) {
      o.put("prev_kv", true);
    }
  }

  private void range(ArrayNode branch, String key, boolean prefix, long limit) {
    ObjectNode o = branch.addObject().putObject("range");
    o.put("key", key);
    if (prefix) {
      o.put("prefix", true);
    }
    if (limit > 0) {
      o.put("limit", limit);
    }
  }

  private static String op(Compare.Op op) {
    return switch (op) {
      case EQUAL -> "=";
      case NOT_EQUAL -> "!=";
      case LESS -> "<";
      case GREATER -> ">";
    };
  }

  /**
   * The recipe kind ({@code lock}, {@code election}, {@code rwlock}) and name whose queue is {@code
   * prefix}: the HTTP API names a fence by its recipe, and decides its holder value itself.
   */
  static String[] fenceOf(String prefix) {
    for (String[] root :
        new String[][] {
          {Lock.ROOT, "lock"}, {Election.ROOT, "election"}, {RwLock.ROOT, "rwlock"}
        }) {
      if (prefix.startsWith(root[0]) && prefix.endsWith("/")) {
        String name =
            prefix
                .substring(root[0].length(), prefix.length() - 1)
                .replace("%2F", "/")
                .replace("%25", "%");
        return new String[] {root[1], name};
      }
    }
    throw new IllegalArgumentException(
        "a fence over the network names a lock, an election or a read-write lock; '"
            + prefix
            + "' is none of their prefixes");
  }
}
