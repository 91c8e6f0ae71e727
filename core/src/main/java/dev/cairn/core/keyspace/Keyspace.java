package dev.cairn.core.keyspace;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import dev.cairn.core.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The keyspace state machine: {@code decide(state, command) → events | rejection}, {@code
 * apply(state, event) → state}, {@code query(state, read) → reply}.
 *
 * <p>{@code decide} and {@code query} never change the state. {@code apply} is deterministic: the
 * same events applied to equal states give equal states on every node. A rejected command emits no
 * event.
 */
public final class Keyspace {
  private static final Consumer<WatchEvent> IGNORE = e -> {};

  private final Limits limits;

  public Keyspace(Limits limits) {
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  // ------------------------------------------------------------------ apply

  /** Folds {@code event} into {@code state} (in place) and returns it. */
  public static KeyspaceState apply(KeyspaceState state, Event event) {
    state.apply(event, IGNORE);
    return state;
  }

  /** As {@link #apply(KeyspaceState, Event)}, reporting each key change to {@code changes}. */
  public static KeyspaceState apply(
      KeyspaceState state, Event event, Consumer<WatchEvent> changes) {
    state.apply(event, changes);
    return state;
  }

  // ----------------------------------------------------------------- decide

  public Decision decide(KeyspaceState s, Command c) {
    if (c instanceof Command.CreateNamespace) {
      if (s.active()) {
        return reject(ErrorCode.NAMESPACE_EXISTS, "namespace already exists");
      }
      long rev = s.revision() + 1;
      return accept(new Event.NamespaceCreated(rev), new Reply.NamespaceReply(rev, true));
    }
    if (!s.active()) {
      return reject(ErrorCode.NAMESPACE_NOT_FOUND, "namespace does not exist");
    }
    if (c instanceof Command.Put p) {
      return decidePut(s, p);
    } else if (c instanceof Command.Delete d) {
      return decideDelete(s, d);
    } else if (c instanceof Command.Txn t) {
      return decideTxn(s, t);
    } else if (c instanceof Command.CreateSequential cs) {
      return decideSequential(s, cs);
    } else if (c instanceof Command.Compact cp) {
      return decideCompact(s, cp);
    } else if (c instanceof Command.GrantLease g) {
      return decideGrant(s, g);
    } else if (c instanceof Command.RevokeLease r) {
      return decideRevoke(s, r.id(), false);
    } else if (c instanceof Command.ExpireLease e) {
      return decideRevoke(s, e.id(), true);
    } else if (c instanceof Command.DeleteNamespace dn) {
      if (!dn.force() && (s.liveKeys() > 0 || s.leaseCount() > 0)) {
        return reject(
            ErrorCode.NAMESPACE_NOT_EMPTY,
            "namespace holds "
                + s.liveKeys()
                + " keys and "
                + s.leaseCount()
                + " leases; delete with force to drop them");
      }
      long rev = s.revision() + 1;
      return accept(new Event.NamespaceDeleted(rev), new Reply.NamespaceReply(rev, false));
    }
    throw new IllegalStateException("unhandled " + c);
  }

  private Decision decidePut(KeyspaceState s, Command.Put p) {
    Rejection bad = checkPut(p);
    if (bad == null) {
      bad = checkLease(s, p.lease());
    }
    if (bad != null) {
      return new Decision.Rejected(bad);
    }
    long rev = s.revision() + 1;
    KeyValue prev = s.get(p.key());
    return accept(
        new Event.KeysChanged(rev, List.of(new Event.Mutation.Put(p.key(), p.value(), p.lease()))),
        new Reply.PutReply(rev, putResult(prev, p, rev), p.prevKv() ? prev : null));
  }

  private Decision decideDelete(KeyspaceState s, Command.Delete d) {
    Rejection bad = checkRangeKey(d.key(), d.rangeEnd());
    if (bad != null) {
      return new Decision.Rejected(bad);
    }
    List<KeyValue> doomed = liveIn(s, d.key(), d.rangeEnd());
    if (doomed.isEmpty()) {
      return new Decision.Accepted(List.of(), new Reply.DeleteReply(s.revision(), 0, List.of()));
    }
    long rev = s.revision() + 1;
    List<Event.Mutation> ms = new ArrayList<>(doomed.size());
    for (KeyValue kv : doomed) {
      ms.add(new Event.Mutation.Delete(kv.key()));
    }
    return accept(
        new Event.KeysChanged(rev, ms),
        new Reply.DeleteReply(rev, doomed.size(), d.prevKv() ? doomed : List.of()));
  }

  private Decision decideSequential(KeyspaceState s, Command.CreateSequential cs) {
    long rev = s.revision() + 1;
    // Locale.ROOT: the default locale may format digits as non-ASCII (e.g. Arabic-Indic) ones.
    String key = cs.prefix() + String.format(Locale.ROOT, "%020d", rev);
    Command.Put p = new Command.Put(key, cs.value(), cs.lease(), false);
    Rejection bad = checkPut(p);
    if (bad == null) {
      bad = checkLease(s, p.lease());
    }
    if (bad == null && s.get(key) != null) {
      // A client put this very name: a sequential key is always new (lock and queue recipes
      // rely on its create revision being its own).
      bad = Rejection.of(ErrorCode.KEY_EXISTS, "key " + key + " already exists");
    }
    if (bad != null) {
      return new Decision.Rejected(bad);
    }
    return accept(
        new Event.KeysChanged(rev, List.of(new Event.Mutation.Put(key, cs.value(), cs.lease()))),
        new Reply.PutReply(rev, putResult(null, p, rev), null));
  }

  private Decision decideCompact(KeyspaceState s, Command.Compact cp) {
    if (cp.revision() < 0) {
      return reject(ErrorCode.INVALID_ARGUMENT, "compact revision must not be negative");
    }
    if (cp.revision() > s.revision()) {
      return new Decision.Rejected(
          new Rejection(
              ErrorCode.FUTURE_REVISION,
              "revision " + cp.revision() + " is after the current revision " + s.revision(),
              s.revision()));
    }
    if (cp.revision() <= s.compactRevision()) {
      return new Decision.Rejected(
          new Rejection(
              ErrorCode.COMPACTED,
              "revision " + cp.revision() + " is already compacted",
              s.compactRevision()));
    }
    long rev = s.revision() + 1;
    return accept(
        new Event.Compacted(rev, cp.revision()), new Reply.CompactReply(rev, cp.revision()));
  }

  private Decision decideGrant(KeyspaceState s, Command.GrantLease g) {
    if (g.ttlSeconds() < limits.minTtlSeconds() || g.ttlSeconds() > limits.maxTtlSeconds()) {
      return reject(
          ErrorCode.TTL_OUT_OF_RANGE,
          "ttl must be between "
              + limits.minTtlSeconds()
              + " and "
              + limits.maxTtlSeconds()
              + " seconds");
    }
    if (g.id() < 0) {
      return reject(ErrorCode.INVALID_ARGUMENT, "lease id must be positive");
    }
    long id = g.id() == 0 ? s.nextLeaseId() : g.id();
    if (s.hasLease(id)) {
      return reject(ErrorCode.LEASE_EXISTS, "lease " + id + " already exists");
    }
    long rev = s.revision() + 1;
    return accept(
        new Event.LeaseGranted(rev, id, g.ttlSeconds()),
        new Reply.LeaseGrantReply(rev, id, g.ttlSeconds()));
  }

  private Decision decideRevoke(KeyspaceState s, long id, boolean expired) {
    if (!s.hasLease(id)) {
      return reject(ErrorCode.LEASE_NOT_FOUND, "lease " + id + " not found");
    }
    long rev = s.revision() + 1;
    return accept(
        new Event.LeaseRevoked(rev, id, expired),
        new Reply.LeaseRevokeReply(rev, id, new ArrayList<>(s.leaseKeys(id))));
  }

  // ------------------------------------------------------------------- txn

  private Decision decideTxn(KeyspaceState s, Command.Txn t) {
    int ops = t.compare().size() + t.success().size() + t.failure().size();
    if (ops > limits.maxTxnOps()) {
      return reject(
          ErrorCode.TOO_MANY_TXN_OPS,
          "transaction has " + ops + " operations; the limit is " + limits.maxTxnOps());
    }
    for (Compare c : t.compare()) {
      Rejection bad = checkKey(c.key());
      if (bad != null) {
        return new Decision.Rejected(bad);
      }
    }
    for (List<Command.TxnOp> branch : List.of(t.success(), t.failure())) {
      Rejection bad = checkBranch(s, branch);
      if (bad != null) {
        return new Decision.Rejected(bad);
      }
    }
    // Fences first: a failed fence refuses the whole transaction, decided at this revision.
    for (Compare c : t.compare()) {
      if (c.target() == Compare.Target.FENCE && !fenceHolds(s, c)) {
        return reject(
            ErrorCode.FENCED,
            "fence on " + c.key() + " with token " + c.number() + " no longer holds");
      }
    }
    boolean succeeded = true;
    for (Compare c : t.compare()) {
      if (c.target() == Compare.Target.FENCE) {
        continue;
      }
      if (!holds(c, s.get(c.key()))) {
        succeeded = false;
        break;
      }
    }
    List<Command.TxnOp> branch = succeeded ? t.success() : t.failure();
    for (Command.TxnOp op : branch) {
      if (op instanceof Command.Put p) {
        Rejection bad = checkLease(s, p.lease());
        if (bad != null) {
          return new Decision.Rejected(bad);
        }
      }
    }
    boolean writes = branch.stream().anyMatch(op -> !(op instanceof Read.Range));
    long rev = s.revision() + (writes ? 1 : 0);
    // Ops run in order; later ranges see earlier writes through this overlay (null = deleted).
    Map<String, KeyValue> overlay = new HashMap<>();
    TreeMap<String, Event.Mutation> mutations = new TreeMap<>();
    List<Reply> responses = new ArrayList<>(branch.size());
    for (Command.TxnOp op : branch) {
      if (op instanceof Command.Put p) {
        KeyValue prev = current(s, overlay, p.key());
        KeyValue kv = putResult(prev, p, rev);
        overlay.put(p.key(), kv);
        mutations.put(p.key(), new Event.Mutation.Put(p.key(), p.value(), p.lease()));
        responses.add(new Reply.PutReply(rev, kv, p.prevKv() ? prev : null));
      } else if (op instanceof Command.Delete d) {
        List<KeyValue> doomed = rangeWithOverlay(s, overlay, d.key(), d.rangeEnd(), s.revision());
        for (KeyValue kv : doomed) {
          overlay.put(kv.key(), null);
          mutations.put(kv.key(), new Event.Mutation.Delete(kv.key()));
        }
        responses.add(new Reply.DeleteReply(rev, doomed.size(), d.prevKv() ? doomed : List.of()));
      } else if (op instanceof Read.Range r) {
        Reply.RangeReply rr =
            r.revision() == 0 && !overlay.isEmpty()
                ? shape(r, rangeWithOverlay(s, overlay, r.key(), r.rangeEnd(), s.revision()), rev)
                : (Reply.RangeReply) query(s, r);
        responses.add(rr);
      } else {
        throw new IllegalStateException("unhandled " + op);
      }
    }
    Reply.TxnReply reply = new Reply.TxnReply(rev, succeeded, responses);
    if (mutations.isEmpty()) {
      // A branch of deletes that matched nothing changes nothing: no revision is spent.
      return new Decision.Accepted(
          List.of(),
          new Reply.TxnReply(
              s.revision(),
              succeeded,
              writes ? reviseRevision(responses, s.revision()) : responses));
    }
    return new Decision.Accepted(
        List.of(new Event.KeysChanged(rev, new ArrayList<>(mutations.values()))), reply);
  }

  private static List<Reply> reviseRevision(List<Reply> responses, long revision) {
    List<Reply> out = new ArrayList<>(responses.size());
    for (Reply r : responses) {
      if (r instanceof Reply.DeleteReply d) {
        out.add(new Reply.DeleteReply(revision, d.deleted(), d.prevKvs()));
      } else if (r instanceof Reply.RangeReply rr) {
        out.add(new Reply.RangeReply(revision, rr.kvs(), rr.count(), rr.more()));
      } else {
        out.add(r);
      }
    }
    return out;
  }

  private Rejection checkBranch(KeyspaceState s, List<Command.TxnOp> branch) {
    Set<String> putKeys = new HashSet<>();
    List<Command.Delete> deletes = new ArrayList<>();
    for (Command.TxnOp op : branch) {
      Rejection bad;
      if (op instanceof Command.Put p) {
        bad = checkPut(p);
        if (bad == null && !putKeys.add(p.key())) {
          bad = Rejection.of(ErrorCode.DUPLICATE_KEY_IN_TXN, "key " + p.key() + " is put twice");
        }
      } else if (op instanceof Command.Delete d) {
        bad = checkRangeKey(d.key(), d.rangeEnd());
        deletes.add(d);
      } else if (op instanceof Read.Range r) {
        // Same checks as query: an op it would refuse must refuse the whole transaction.
        bad = checkRangeKey(r.key(), r.rangeEnd());
        if (bad == null) {
          bad = checkRead(s, r);
        }
      } else {
        throw new IllegalStateException("unhandled " + op);
      }
      if (bad != null) {
        return bad;
      }
    }
    for (Command.Delete d : deletes) {
      for (String k : putKeys) {
        if (KeyRange.contains(d.key(), d.rangeEnd(), k)) {
          return Rejection.of(
              ErrorCode.DUPLICATE_KEY_IN_TXN, "key " + k + " is both put and deleted");
        }
      }
    }
    return null;
  }

  private static boolean fenceHolds(KeyspaceState s, Compare c) {
    KeyValue first =
        liveIn(s, c.key(), KeyRange.prefixEnd(c.key())).stream()
            .min(Comparator.comparingLong(KeyValue::createRevision))
            .orElse(null);
    // Nobody holds an empty lock: no token fences it, not even 0.
    return first != null
        && c.op().holds(Long.compare(first.createRevision(), c.number()))
        && (c.value().size() == 0 || first.value().equals(c.value()));
  }

  private static boolean holds(Compare c, KeyValue kv) {
    if (c.target() == Compare.Target.VALUE) {
      return kv != null && c.op().holds(kv.value().compareTo(c.value()));
    }
    long actual =
        kv == null
            ? 0
            : switch (c.target()) {
              case VERSION -> kv.version();
              case CREATE_REVISION -> kv.createRevision();
              case MOD_REVISION -> kv.modRevision();
              case LEASE -> kv.lease();
              case VALUE, FENCE -> throw new IllegalStateException("unreachable");
            };
    return c.op().holds(Long.compare(actual, c.number()));
  }

  private static KeyValue current(KeyspaceState s, Map<String, KeyValue> overlay, String key) {
    return overlay.containsKey(key) ? overlay.get(key) : s.get(key);
  }

  private static List<KeyValue> rangeWithOverlay(
      KeyspaceState s, Map<String, KeyValue> overlay, String key, String rangeEnd, long at) {
    TreeMap<String, KeyValue> merged = new TreeMap<>();
    for (KeyValue kv : liveIn(s, key, rangeEnd, at)) {
      merged.put(kv.key(), kv);
    }
    overlay.forEach(
        (k, kv) -> {
          if (KeyRange.contains(key, rangeEnd, k)) {
            if (kv == null) {
              merged.remove(k);
            } else {
              merged.put(k, kv);
            }
          }
        });
    return new ArrayList<>(merged.values());
  }

  // ------------------------------------------------------------------ query

  /** Answers a read against {@code s}; never changes it. */
  public Reply query(KeyspaceState s, Read read) {
    if (!s.active()) {
      return rejected(s, Rejection.of(ErrorCode.NAMESPACE_NOT_FOUND, "namespace does not exist"));
    }
    if (read instanceof Read.Range r) {
      Rejection bad = checkRangeKey(r.key(), r.rangeEnd());
      if (bad == null) {
        bad = checkRead(s, r);
      }
      if (bad != null) {
        return rejected(s, bad);
      }
      return range(s, r, s.revision());
    } else if (read instanceof Read.LeaseInfo li) {
      if (!s.hasLease(li.id())) {
        return rejected(
            s, Rejection.of(ErrorCode.LEASE_NOT_FOUND, "lease " + li.id() + " not found"));
      }
      return new Reply.LeaseInfoReply(
          s.revision(), li.id(), s.leaseTtl(li.id()), new ArrayList<>(s.leaseKeys(li.id())));
    } else if (read instanceof Read.LeaseList) {
      return new Reply.LeaseListReply(s.revision(), new ArrayList<>(s.leaseTtls().keySet()));
    } else if (read instanceof Read.History h) {
      return history(s, h);
    } else if (read instanceof Read.Status) {
      return new Reply.StatusReply(
          s.revision(), s.compactRevision(), s.active(), s.liveKeys(), s.leaseCount(), s.digest());
    }
    throw new IllegalStateException("unhandled " + read);
  }

  /**
   * Answers a range read as of the state's published (durable) revision, from any thread, while the
   * owner goes on applying newer events; see {@link KeyspaceState}. Returns null when it cannot
   * answer that way (nothing published yet, the namespace does not exist, a revision newer than the
   * published one or older than the compaction point, or a change that rewrote the past is not yet
   * durable): the caller then asks the owner, whose answer is the same but slower.
   */
  public Reply readPublished(KeyspaceState s, Read.Range r) {
    long at = s.published();
    if (at < 0 || !s.active() || r.revision() > at || r.revision() < 0 || r.limit() < 0) {
      return null;
    }
    Rejection bad = checkRangeKey(r.key(), r.rangeEnd());
    if (bad == null && (r.revision() == 0 ? at : r.revision()) < s.compactRevision()) {
      return null;
    }
    Reply reply = bad != null ? new Reply.Rejected(at, bad) : range(s, r, at);
    // Checked last: whatever the read saw was written before any rewrite it would reveal.
    return s.stillValidAt(at) ? reply : null;
  }

  /** A checked range read, with {@code current} standing for the newest revision. */
  private static Reply range(KeyspaceState s, Read.Range r, long current) {
    long at = r.revision() == 0 ? current : r.revision();
    return shape(r, liveIn(s, r.key(), r.rangeEnd(), at), current);
  }

  private Reply history(KeyspaceState s, Read.History h) {
    // The compaction revision itself is kept (a range read at it answers), so it can be watched.
    if (h.fromRevision() < s.compactRevision()) {
      return rejected(
          s,
          new Rejection(
              ErrorCode.COMPACTED,
              "revision "
                  + h.fromRevision()
                  + " is compacted; history starts at "
                  + s.compactRevision(),
              s.compactRevision()));
    }
    long from = Math.max(1, h.fromRevision());
    List<WatchEvent> events = new ArrayList<>();
    for (History history : s.histories(h.key(), h.rangeEnd()).values()) {
      List<KeyValue> versions = history.versions();
      for (int i = versions.size() - 1; i >= 0; i--) {
        KeyValue kv = versions.get(i);
        if (kv.modRevision() < from) {
          break;
        }
        KeyValue prev = i > 0 ? versions.get(i - 1) : null;
        if (prev != null && KeyspaceState.isTombstone(prev)) {
          prev = null;
        }
        events.add(
            new WatchEvent(
                KeyspaceState.isTombstone(kv) ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT,
                kv,
                prev));
      }
    }
    events.sort(Comparator.comparingLong(WatchEvent::revision).thenComparing(e -> e.kv().key()));
    long next = s.revision() + 1;
    if (h.maxEvents() > 0 && events.size() > h.maxEvents()) {
      // Cut at a revision boundary so a revision's events are never split across pages.
      long lastRev = events.get(h.maxEvents() - 1).revision();
      int end = h.maxEvents();
      while (end < events.size() && events.get(end).revision() == lastRev) {
        end++;
      }
      if (end < events.size()) {
        next = events.get(end).revision();
        events = events.subList(0, end);
      }
    }
    return new Reply.HistoryReply(s.revision(), events, next);
  }

  private static Reply.RangeReply shape(Read.Range r, List<KeyValue> live, long revision) {
    long count = live.size();
    if (r.countOnly()) {
      return new Reply.RangeReply(revision, List.of(), count, false);
    }
    List<KeyValue> kvs = live;
    boolean more = false;
    if (r.limit() > 0 && live.size() > r.limit()) {
      kvs = live.subList(0, (int) r.limit());
      more = true;
    }
    if (r.keysOnly()) {
      List<KeyValue> stripped = new ArrayList<>(kvs.size());
      for (KeyValue kv : kvs) {
        stripped.add(
            new KeyValue(
                kv.key(),
                Bytes.EMPTY,
                kv.createRevision(),
                kv.modRevision(),
                kv.version(),
                kv.lease()));
      }
      kvs = stripped;
    }
    return new Reply.RangeReply(revision, kvs, count, more);
  }

  private static List<KeyValue> liveIn(KeyspaceState s, String key, String rangeEnd) {
    return liveIn(s, key, rangeEnd, s.revision());
  }

  private static List<KeyValue> liveIn(KeyspaceState s, String key, String rangeEnd, long at) {
    if (rangeEnd == null) {
      KeyValue kv = s.getAt(key, at);
      return kv == null ? List.of() : List.of(kv);
    }
    List<KeyValue> out = new ArrayList<>();
    for (History versions : s.histories(key, rangeEnd).values()) {
      KeyValue kv = KeyspaceState.visibleAt(versions, at);
      if (kv != null) {
        out.add(kv);
      }
    }
    return out;
  }

  // ------------------------------------------------------------- validation

  private Rejection checkPut(Command.Put p) {
    Rejection bad = checkKey(p.key());
    if (bad != null) {
      return bad;
    }
    if (p.value().size() > limits.maxValueBytes()) {
      return Rejection.of(
          ErrorCode.VALUE_TOO_LARGE,
          "value is " + p.value().size() + " bytes; the limit is " + limits.maxValueBytes());
    }
    if (p.lease() < 0) {
      return Rejection.of(ErrorCode.INVALID_ARGUMENT, "lease id must not be negative");
    }
    return null;
  }

  private Rejection checkKey(String key) {
    if (key.isEmpty()) {
      return Rejection.of(ErrorCode.EMPTY_KEY, "key must not be empty");
    }
    int bytes = utf8Length(key);
    if (bytes > limits.maxKeyBytes()) {
      return Rejection.of(
          ErrorCode.KEY_TOO_LARGE,
          "key is " + bytes + " bytes; the limit is " + limits.maxKeyBytes());
    }
    return null;
  }

  /** A range may start at the empty key (the whole keyspace) but a single key may not be empty. */
  private Rejection checkRangeKey(String key, String rangeEnd) {
    if (key.isEmpty() && rangeEnd != null) {
      return null;
    }
    Rejection bad = checkKey(key);
    if (bad == null && rangeEnd != null && utf8Length(rangeEnd) > limits.maxKeyBytes()) {
      return Rejection.of(ErrorCode.KEY_TOO_LARGE, "range end is longer than the key limit");
    }
    return bad;
  }

  private static Rejection checkRead(KeyspaceState s, Read.Range r) {
    if (r.limit() < 0) {
      return Rejection.of(ErrorCode.INVALID_ARGUMENT, "limit must not be negative");
    }
    if (r.revision() < 0) {
      return Rejection.of(ErrorCode.INVALID_ARGUMENT, "revision must not be negative");
    }
    if (r.revision() > s.revision()) {
      return new Rejection(
          ErrorCode.FUTURE_REVISION,
          "revision " + r.revision() + " is after the current revision " + s.revision(),
          s.revision());
    }
    if (r.revision() != 0 && r.revision() < s.compactRevision()) {
      return new Rejection(
          ErrorCode.COMPACTED,
          "revision " + r.revision() + " is compacted; history starts at " + s.compactRevision(),
          s.compactRevision());
    }
    return null;
  }

  private static Rejection checkLease(KeyspaceState s, long lease) {
    if (lease != 0 && !s.hasLease(lease)) {
      return Rejection.of(ErrorCode.LEASE_NOT_FOUND, "lease " + lease + " not found");
    }
    return null;
  }

  static int utf8Length(String s) {
    if (allAscii(s)) {
      return s.length();
    }
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static boolean allAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private static KeyValue putResult(KeyValue prev, Command.Put p, long rev) {
    return prev == null
        ? new KeyValue(p.key(), p.value(), rev, rev, 1, p.lease())
        : new KeyValue(
            p.key(), p.value(), prev.createRevision(), rev, prev.version() + 1, p.lease());
  }

  private static Decision accept(Event e, Reply r) {
    return new Decision.Accepted(List.of(e), r);
  }

  private static Decision reject(ErrorCode code, String detail) {
    return new Decision.Rejected(Rejection.of(code, detail));
  }

  private static Reply rejected(KeyspaceState s, Rejection r) {
    return new Reply.Rejected(s.revision(), r);
  }
}
