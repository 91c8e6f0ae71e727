package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import dev.cairn.core.Rejection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A keyspace driven the way a leader drives it: decide, then apply every emitted event (through the
 * watch sink). Records the event log and every watch event, and checks the invariants every single
 * command must keep (next revision, no change on rejection, decide is pure).
 */
final class Harness {
  final Keyspace ks;
  KeyspaceState state;
  final List<Event> log = new ArrayList<>();
  final List<WatchEvent> changes = new ArrayList<>();

  private Harness(Limits limits, boolean active) {
    this.ks = new Keyspace(limits);
    this.state = KeyspaceState.empty(active);
  }

  static Harness active() {
    return new Harness(Limits.DEFAULT, true);
  }

  static Harness inactive() {
    return new Harness(Limits.DEFAULT, false);
  }

  static Harness with(Limits limits) {
    return new Harness(limits, true);
  }

  static Bytes b(String s) {
    return Bytes.utf8(s);
  }

  // ------------------------------------------------------------ commands

  /** Decides without applying; asserts decide left the state alone. */
  Decision decide(Command c) {
    long before = state.digest();
    Decision d = ks.decide(state, c);
    assertThat(state.digest()).as("decide must not change the state").isEqualTo(before);
    return d;
  }

  /** Decides, asserts acceptance, applies the events and returns the reply. */
  Reply ok(Command c) {
    long revBefore = state.revision();
    Decision d = decide(c);
    if (!(d instanceof Decision.Accepted a)) {
      return fail("expected %s to be accepted but got %s", c, d);
    }
    long expected = revBefore;
    for (Event e : a.events()) {
      expected++;
      assertThat(e.revision()).as("event revision").isEqualTo(expected);
      Keyspace.apply(state, e, changes::add);
      log.add(e);
    }
    assertThat(state.revision()).isEqualTo(revBefore + a.events().size());
    if (a.events().isEmpty()) {
      assertThat(a.reply().revision())
          .as("a no-op reply reports the current revision")
          .isEqualTo(revBefore);
    }
    return a.reply();
  }

  <R extends Reply> R ok(Command c, Class<R> type) {
    Reply r = ok(c);
    assertThat(r).isInstanceOf(type);
    return type.cast(r);
  }

  /** Decides, asserts rejection and that nothing changed. */
  Rejection rejected(Command c) {
    long digest = state.digest();
    long rev = state.revision();
    Decision d = decide(c);
    if (!(d instanceof Decision.Rejected r)) {
      return fail("expected %s to be rejected but got %s", c, d);
    }
    assertThat(state.digest()).isEqualTo(digest);
    assertThat(state.revision()).isEqualTo(rev);
    return r.rejection();
  }

  ErrorCode code(Command c) {
    return rejected(c).code();
  }

  Reply.PutReply put(String key, String value) {
    return ok(Command.Put.of(key, value), Reply.PutReply.class);
  }

  Reply.PutReply put(String key, String value, long lease) {
    return ok(new Command.Put(key, b(value), lease, false), Reply.PutReply.class);
  }

  Reply.DeleteReply delete(Command.Delete d) {
    return ok(d, Reply.DeleteReply.class);
  }

  Reply.TxnReply txn(Command.Txn t) {
    return ok(t, Reply.TxnReply.class);
  }

  long grant(long ttl) {
    return ok(new Command.GrantLease(0, ttl), Reply.LeaseGrantReply.class).id();
  }

  long rev() {
    return state.revision();
  }

  // --------------------------------------------------------------- reads

  Reply query(Read r) {
    long digest = state.digest();
    Reply reply = ks.query(state, r);
    assertThat(state.digest()).as("query must not change the state").isEqualTo(digest);
    return reply;
  }

  <R extends Reply> R query(Read r, Class<R> type) {
    Reply reply = query(r);
    assertThat(reply).isInstanceOf(type);
    return type.cast(reply);
  }

  Reply.RangeReply range(Read.Range r) {
    return query(r, Reply.RangeReply.class);
  }

  Rejection queryRejected(Read r) {
    Reply reply = query(r);
    if (!(reply instanceof Reply.Rejected rj)) {
      return fail("expected %s to be rejected but got %s", r, reply);
    }
    assertThat(rj.revision()).isEqualTo(state.revision());
    return rj.rejection();
  }

  KeyValue get(String key) {
    List<KeyValue> kvs = range(Read.Range.key(key)).kvs();
    assertThat(kvs).hasSizeLessThanOrEqualTo(1);
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  /** key → UTF-8 value of every live key, in key order. */
  Map<String, String> values() {
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : range(all()).kvs()) {
      out.put(kv.key(), kv.value().utf8String());
    }
    return out;
  }

  List<String> keys() {
    return new ArrayList<>(values().keySet());
  }

  Reply.HistoryReply history(String key, String rangeEnd, long from) {
    return query(new Read.History(key, rangeEnd, from, 0), Reply.HistoryReply.class);
  }

  // ------------------------------------------------------------ builders

  static Read.Range all() {
    return new Read.Range("", KeyRange.UNBOUNDED, 0, 0, false, false);
  }

  static Read.Range range(String key, String end) {
    return new Read.Range(key, end, 0, 0, false, false);
  }

  static Read.Range at(Read.Range r, long revision) {
    return new Read.Range(r.key(), r.rangeEnd(), r.limit(), revision, r.keysOnly(), r.countOnly());
  }

  static Command.Put putWithPrev(String key, String value) {
    return new Command.Put(key, b(value), 0, true);
  }

  static Command.Txn txn(
      List<Compare> compare, List<Command.TxnOp> success, List<Command.TxnOp> failure) {
    return new Command.Txn(compare, success, failure);
  }
}
