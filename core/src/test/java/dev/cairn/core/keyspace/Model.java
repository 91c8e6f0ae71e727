package dev.cairn.core.keyspace;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deliberately naive reference keyspace for model checking: current key-values in a sorted map, a
 * full copy of them per revision instead of MVCC histories, lease bindings derived from the keys.
 * It implements the documented semantics independently of {@link Keyspace}.
 */
final class Model {
  final Limits limits;
  boolean active = true;
  long rev;
  long compactRev;
  long nextLeaseId = 1;
  TreeMap<String, KeyValue> kvs = new TreeMap<>();
  final TreeMap<Long, Long> leases = new TreeMap<>();

  /** The key-values as of each revision. */
  final Map<Long, TreeMap<String, KeyValue>> byRevision = new HashMap<>();

  /** For the last accepted transaction: which branch ran and what each range op saw. */
  Boolean txnSucceeded;

  final List<List<KeyValue>> txnRanges = new ArrayList<>();

  Model(Limits limits) {
    this.limits = limits;
    byRevision.put(0L, new TreeMap<>());
  }

  /** Applies {@code c}; null when accepted, else the expected rejection code (nothing changed). */
  ErrorCode apply(Command c) {
    txnSucceeded = null;
    txnRanges.clear();
    if (c instanceof Command.CreateNamespace) {
      if (active) {
        return ErrorCode.NAMESPACE_EXISTS;
      }
      active = true;
      return commit(kvs);
    }
    if (!active) {
      return ErrorCode.NAMESPACE_NOT_FOUND;
    }
    if (c instanceof Command.Put p) {
      ErrorCode bad = checkPut(p);
      if (bad == null) {
        bad = checkLease(p.lease());
      }
      if (bad != null) {
        return bad;
      }
      TreeMap<String, KeyValue> next = new TreeMap<>(kvs);
      put(next, p, rev + 1);
      return commit(next);
    } else if (c instanceof Command.Delete d) {
      ErrorCode bad = checkRangeKey(d.key(), d.rangeEnd());
      if (bad != null) {
        return bad;
      }
      TreeMap<String, KeyValue> next = new TreeMap<>(kvs);
      return delete(next, d.key(), d.rangeEnd()) > 0 ? commit(next) : null;
    } else if (c instanceof Command.Txn t) {
      return txn(t);
    } else if (c instanceof Command.CreateSequential cs) {
      String key = cs.prefix() + String.format(java.util.Locale.ROOT, "%020d", rev + 1);
      Command.Put p = new Command.Put(key, cs.value(), cs.lease(), false);
      ErrorCode bad = checkPut(p);
      if (bad == null) {
        bad = checkLease(p.lease());
      }
      if (bad == null && kvs.containsKey(key)) {
        bad = ErrorCode.KEY_EXISTS;
      }
      if (bad != null) {
        return bad;
      }
      TreeMap<String, KeyValue> next = new TreeMap<>(kvs);
      put(next, p, rev + 1);
      return commit(next);
    } else if (c instanceof Command.Compact cp) {
      if (cp.revision() < 0) {
        return ErrorCode.INVALID_ARGUMENT;
      }
      if (cp.revision() > rev) {
        return ErrorCode.FUTURE_REVISION;
      }
      if (cp.revision() <= compactRev) {
        return ErrorCode.COMPACTED;
      }
      compactRev = cp.revision();
      return commit(kvs);
    } else if (c instanceof Command.GrantLease g) {
      if (g.ttlSeconds() < limits.minTtlSeconds() || g.ttlSeconds() > limits.maxTtlSeconds()) {
        return ErrorCode.TTL_OUT_OF_RANGE;
      }
      if (g.id() < 0) {
        return ErrorCode.INVALID_ARGUMENT;
      }
      long id = g.id() == 0 ? nextLeaseId : g.id();
      if (leases.containsKey(id)) {
        return ErrorCode.LEASE_EXISTS;
      }
      leases.put(id, g.ttlSeconds());
      nextLeaseId = Math.max(nextLeaseId, id + 1);
      return commit(kvs);
    } else if (c instanceof Command.RevokeLease r) {
      return endLease(r.id());
    } else if (c instanceof Command.ExpireLease e) {
      return endLease(e.id());
    } else if (c instanceof Command.DeleteNamespace dn) {
      if (!dn.force() && (!kvs.isEmpty() || !leases.isEmpty())) {
        return ErrorCode.NAMESPACE_NOT_EMPTY;
      }
      leases.clear();
      active = false;
      commit(new TreeMap<>());
      compactRev = rev;
      return null;
    }
    throw new AssertionError("model does not know " + c);
  }

  List<String> leaseKeys(long id) {
    List<String> out = new ArrayList<>();
    kvs.forEach(
        (k, kv) -> {
          if (kv.lease() == id) {
            out.add(k);
          }
        });
    return out;
  }

  static boolean inRange(String key, String end, String k) {
    if (end == null) {
      return k.equals(key);
    }
    return k.compareTo(key) >= 0 && (end.isEmpty() || k.compareTo(end) < 0);
  }

  static List<KeyValue> select(Map<String, KeyValue> kvs, String key, String end) {
    List<KeyValue> out = new ArrayList<>();
    kvs.forEach(
        (k, kv) -> {
          if (inRange(key, end, k)) {
            out.add(kv);
          }
        });
    return out;
  }

  // ------------------------------------------------------------------------------------------

  private ErrorCode commit(TreeMap<String, KeyValue> next) {
    kvs = next;
    rev++;
    byRevision.put(rev, new TreeMap<>(kvs));
    return null;
  }

  private ErrorCode endLease(long id) {
    if (!leases.containsKey(id)) {
      return ErrorCode.LEASE_NOT_FOUND;
    }
    TreeMap<String, KeyValue> next = new TreeMap<>(kvs);
    next.values().removeIf(kv -> kv.lease() == id);
    leases.remove(id);
    return commit(next);
  }

  private static void put(TreeMap<String, KeyValue> into, Command.Put p, long at) {
    KeyValue prev = into.get(p.key());
    into.put(
        p.key(),
        prev == null
            ? new KeyValue(p.key(), p.value(), at, at, 1, p.lease())
            : new KeyValue(
                p.key(), p.value(), prev.createRevision(), at, prev.version() + 1, p.lease()));
  }

  private static int delete(TreeMap<String, KeyValue> from, String key, String end) {
    int before = from.size();
    from.keySet().removeIf(k -> inRange(key, end, k));
    return before - from.size();
  }

  private ErrorCode txn(Command.Txn t) {
    if (t.compare().size() + t.success().size() + t.failure().size() > limits.maxTxnOps()) {
      return ErrorCode.TOO_MANY_TXN_OPS;
    }
    for (Compare c : t.compare()) {
      ErrorCode bad = checkKey(c.key());
      if (bad != null) {
        return bad;
      }
    }
    for (List<Command.TxnOp> branch : List.of(t.success(), t.failure())) {
      ErrorCode bad = checkBranch(branch);
      if (bad != null) {
        return bad;
      }
    }
    for (Compare c : t.compare()) {
      if (c.target() == Compare.Target.FENCE) {
        KeyValue first =
            kvs.values().stream()
                .filter(kv -> kv.key().startsWith(c.key()))
                .min(java.util.Comparator.comparingLong(KeyValue::createRevision))
                .orElse(null);
        if (first == null
            || !opHolds(c.op(), Long.compare(first.createRevision(), c.number()))
            || (c.value().size() != 0 && !first.value().equals(c.value()))) {
          return ErrorCode.FENCED;
        }
      }
    }
    boolean ok = true;
    for (Compare c : t.compare()) {
      if (c.target() != Compare.Target.FENCE) {
        ok &= holds(c, kvs.get(c.key()));
      }
    }
    List<Command.TxnOp> branch = ok ? t.success() : t.failure();
    for (Command.TxnOp op : branch) {
      if (op instanceof Command.Put p && checkLease(p.lease()) != null) {
        return ErrorCode.LEASE_NOT_FOUND;
      }
    }
    TreeMap<String, KeyValue> work = new TreeMap<>(kvs);
    boolean changed = false;
    List<List<KeyValue>> ranges = new ArrayList<>();
    for (Command.TxnOp op : branch) {
      if (op instanceof Command.Put p) {
        put(work, p, rev + 1);
        changed = true;
      } else if (op instanceof Command.Delete d) {
        changed |= delete(work, d.key(), d.rangeEnd()) > 0;
      } else if (op instanceof Read.Range r) {
        Map<String, KeyValue> view = r.revision() == 0 ? work : byRevision.get(r.revision());
        ranges.add(select(view, r.key(), r.rangeEnd()));
      }
    }
    if (changed) {
      commit(work);
    }
    txnSucceeded = ok;
    txnRanges.addAll(ranges);
    return null;
  }

  private static boolean opHolds(Compare.Op op, int cmp) {
    return switch (op) {
      case EQUAL -> cmp == 0;
      case NOT_EQUAL -> cmp != 0;
      case LESS -> cmp < 0;
      case GREATER -> cmp > 0;
    };
  }

  private static boolean holds(Compare c, KeyValue kv) {
    int cmp;
    if (c.target() == Compare.Target.VALUE) {
      if (kv == null) {
        return false;
      }
      cmp = Integer.signum(kv.value().compareTo(c.value()));
    } else {
      long actual = 0;
      if (kv != null) {
        actual =
            c.target() == Compare.Target.VERSION
                ? kv.version()
                : c.target() == Compare.Target.CREATE_REVISION
                    ? kv.createRevision()
                    : c.target() == Compare.Target.MOD_REVISION ? kv.modRevision() : kv.lease();
      }
      cmp = Long.compare(actual, c.number());
    }
    return opHolds(c.op(), cmp);
  }

  private ErrorCode checkBranch(List<Command.TxnOp> branch) {
    Set<String> puts = new HashSet<>();
    List<Command.Delete> deletes = new ArrayList<>();
    for (Command.TxnOp op : branch) {
      ErrorCode bad;
      if (op instanceof Command.Put p) {
        bad = checkPut(p);
        if (bad == null && !puts.add(p.key())) {
          bad = ErrorCode.DUPLICATE_KEY_IN_TXN;
        }
      } else if (op instanceof Command.Delete d) {
        bad = checkRangeKey(d.key(), d.rangeEnd());
        deletes.add(d);
      } else {
        Read.Range r = (Read.Range) op;
        bad = checkRangeKey(r.key(), r.rangeEnd());
        if (bad == null) {
          bad = checkRead(r);
        }
      }
      if (bad != null) {
        return bad;
      }
    }
    for (Command.Delete d : deletes) {
      for (String k : puts) {
        if (inRange(d.key(), d.rangeEnd(), k)) {
          return ErrorCode.DUPLICATE_KEY_IN_TXN;
        }
      }
    }
    return null;
  }

  ErrorCode checkRead(Read.Range r) {
    if (r.limit() < 0 || r.revision() < 0) {
      return ErrorCode.INVALID_ARGUMENT;
    }
    if (r.revision() > rev) {
      return ErrorCode.FUTURE_REVISION;
    }
    if (r.revision() != 0 && r.revision() < compactRev) {
      return ErrorCode.COMPACTED;
    }
    return null;
  }

  private ErrorCode checkPut(Command.Put p) {
    ErrorCode bad = checkKey(p.key());
    if (bad != null) {
      return bad;
    }
    if (p.value().size() > limits.maxValueBytes()) {
      return ErrorCode.VALUE_TOO_LARGE;
    }
    return p.lease() < 0 ? ErrorCode.INVALID_ARGUMENT : null;
  }

  private ErrorCode checkLease(long lease) {
    return lease != 0 && !leases.containsKey(lease) ? ErrorCode.LEASE_NOT_FOUND : null;
  }

  ErrorCode checkKey(String key) {
    if (key.isEmpty()) {
      return ErrorCode.EMPTY_KEY;
    }
    return bytes(key) > limits.maxKeyBytes() ? ErrorCode.KEY_TOO_LARGE : null;
  }

  ErrorCode checkRangeKey(String key, String end) {
    if (key.isEmpty() && end != null) {
      return null;
    }
    ErrorCode bad = checkKey(key);
    if (bad == null && end != null && bytes(end) > limits.maxKeyBytes()) {
      return ErrorCode.KEY_TOO_LARGE;
    }
    return bad;
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  static Bytes value(String s) {
    return Bytes.utf8(s);
  }
}
