package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Random command scripts over a small key alphabet (so keys collide), run through decide + apply.
 * jqwik reports the seed and the shrunk script of any failure. Edge-case mixing is off: it spends a
 * third of the tries on one-step scripts, and the interesting bugs need history to build up.
 */
class KeyspacePropertyTest {
  /** Small limits so that generated data hits every validation rule. */
  static final Limits LIMITS = new Limits(24, 6, 6, 1, 100);

  static final List<String> KEYS = List.of("a", "a/1", "a/2", "b", "b/1", "c", "é");

  // ------------------------------------------------------------------ scripts

  /** One step of a script; most are fixed commands, some depend on the state they run against. */
  interface Step {
    Command command(KeyspaceState s);
  }

  record Do(Command command) implements Step {
    @Override
    public Command command(KeyspaceState s) {
      return command;
    }
  }

  /** Compacts somewhere between the compact revision and the current one, give or take one. */
  record CompactTo(int percent, int offset) implements Step {
    @Override
    public Command command(KeyspaceState s) {
      long span = s.revision() - s.compactRevision();
      return new Command.Compact(s.compactRevision() + span * percent / 100 + offset);
    }
  }

  @Provide
  Arbitrary<List<Step>> scripts() {
    // Uniform sizes: jqwik's default leans to short lists, and bugs need history to build up.
    return step()
        .list()
        .ofMinSize(1)
        .ofMaxSize(60)
        .withSizeDistribution(RandomDistribution.uniform());
  }

  private static Arbitrary<Step> step() {
    return Arbitraries.frequencyOf(
        List.of(
            Tuple.of(30, put().map(Do::new)),
            Tuple.of(6, key().map(k -> (Step) new Do(Command.Delete.key(k)))),
            Tuple.of(4, prefix().map(p -> (Step) new Do(Command.Delete.prefix(p)))),
            Tuple.of(4, deleteRange().map(Do::new)),
            Tuple.of(16, txn().map(Do::new)),
            Tuple.of(8, grant().map(Do::new)),
            Tuple.of(4, leaseId().map(id -> (Step) new Do(new Command.RevokeLease(id)))),
            Tuple.of(3, leaseId().map(id -> (Step) new Do(new Command.ExpireLease(id)))),
            Tuple.of(
                4,
                Combinators.combine(
                        Arbitraries.oneOf(
                            Arbitraries.of(0, 100), Arbitraries.integers().between(0, 100)),
                        Arbitraries.of(-1, 0, 0, 0, 1))
                    .as((p, o) -> (Step) new CompactTo(p, o))),
            Tuple.of(4, sequential().map(Do::new)),
            Tuple.of(4, Arbitraries.just((Step) new Do(new Command.CreateNamespace()))),
            Tuple.of(
                1,
                Arbitraries.of(true, true, false)
                    .map(f -> (Step) new Do(new Command.DeleteNamespace(f))))));
  }

  private static Arbitrary<String> key() {
    return Arbitraries.frequencyOf(
        List.of(
            Tuple.of(80, Arbitraries.of(KEYS)),
            Tuple.of(1, Arbitraries.just("")),
            Tuple.of(1, Arbitraries.just("k".repeat(25)))));
  }

  private static Arbitrary<String> prefix() {
    return Arbitraries.of("", "a", "a/", "b/", "c", "z");
  }

  private static Arbitrary<Bytes> value() {
    return Arbitraries.frequencyOf(
            List.of(
                Tuple.of(30, Arbitraries.of("v0", "v1", "v2", "")),
                Tuple.of(1, Arbitraries.just("toolong"))))
        .map(Bytes::utf8);
  }

  private static Arbitrary<Long> leaseRef() {
    return Arbitraries.frequencyOf(
        List.of(Tuple.of(8, Arbitraries.just(0L)), Tuple.of(2, Arbitraries.longs().between(1, 3))));
  }

  private static Arbitrary<Long> leaseId() {
    return Arbitraries.longs().between(0, 4);
  }

  private static Arbitrary<Command.Put> put() {
    return Combinators.combine(key(), value(), leaseRef(), Arbitraries.of(true, false))
        .as(Command.Put::new);
  }

  private static Arbitrary<Command.Delete> deleteRange() {
    return Combinators.combine(
            Arbitraries.of("", "a", "a/1", "b", "c"),
            Arbitraries.of("", "a/2", "b", "b/1", "c", "d"),
            Arbitraries.of(true, false))
        .as(Command.Delete::new);
  }

  private static Arbitrary<Read.Range> rangeOp() {
    return Arbitraries.oneOf(
        key().map(Read.Range::key),
        prefix().map(Read.Range::prefix),
        Combinators.combine(Arbitraries.of("", "a", "b"), Arbitraries.of("", "b", "c"))
            .as(Harness::range));
  }

  private static Arbitrary<Command.TxnOp> txnOp() {
    return Arbitraries.frequencyOf(
        List.of(
            Tuple.of(4, put().map(p -> (Command.TxnOp) p)),
            Tuple.of(2, key().map(k -> (Command.TxnOp) Command.Delete.key(k))),
            Tuple.of(1, prefix().map(p -> (Command.TxnOp) Command.Delete.prefix(p))),
            Tuple.of(3, rangeOp().map(r -> (Command.TxnOp) r))));
  }

  private static Arbitrary<Compare> compare() {
    return Combinators.combine(
            key(),
            Arbitraries.of(Compare.Target.class),
            Arbitraries.of(Compare.Op.class),
            value(),
            Arbitraries.longs().between(0, 6))
        .as(Compare::new);
  }

  private static Arbitrary<Command.Txn> txn() {
    return Combinators.combine(
            compare().list().ofMaxSize(2), txnOp().list().ofMaxSize(4), txnOp().list().ofMaxSize(3))
        .as(Command.Txn::new);
  }

  private static Arbitrary<Command.GrantLease> grant() {
    return Combinators.combine(
            Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(4, Arbitraries.just(0L)),
                    Tuple.of(4, Arbitraries.longs().between(1, 3)),
                    Tuple.of(1, Arbitraries.just(-1L)))),
            Arbitraries.of(0L, 1L, 10L, 10L, 100L, 101L))
        .as(Command.GrantLease::new);
  }

  private static Arbitrary<Command.CreateSequential> sequential() {
    return Combinators.combine(Arbitraries.of("q/", "a/", "qqqqq/"), value(), leaseRef())
        .as(Command.CreateSequential::new);
  }

  // ------------------------------------------------------------------ running

  /** A leader: decides each command and applies what it emits, recording events and changes. */
  static final class Sim {
    final Keyspace ks = new Keyspace(LIMITS);
    final KeyspaceState state = KeyspaceState.empty(true);
    final List<Event> log = new ArrayList<>();
    final List<WatchEvent> changes = new ArrayList<>();

    /** Watch events of the last step only. */
    final List<WatchEvent> stepChanges = new ArrayList<>();

    Decision run(Command c) {
      Decision d = ks.decide(state, c);
      stepChanges.clear();
      if (d instanceof Decision.Accepted a) {
        for (Event e : a.events()) {
          Keyspace.apply(state, e, stepChanges::add);
          log.add(e);
        }
        changes.addAll(stepChanges);
      }
      return d;
    }

    Decision run(Step s) {
      return run(s.command(state));
    }
  }

  private static KeyspaceState replay(List<Event> events) {
    KeyspaceState s = KeyspaceState.empty(true);
    for (Event e : events) {
      Keyspace.apply(s, e);
    }
    return s;
  }

  private static String outcome(Decision d) {
    if (d instanceof Decision.Rejected r) {
      return r.rejection().code().name();
    }
    return ((Decision.Accepted) d).events().isEmpty() ? "no-op" : "accepted";
  }

  // ------------------------------------------------------------------ properties

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void revisionsAreGapFreeAndStrictlyIncreasing(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    long expected = 0;
    for (Step step : script) {
      long before = sim.state.revision();
      Decision d = sim.run(step);
      if (d instanceof Decision.Accepted a) {
        for (Event e : a.events()) {
          assertThat(e.revision()).as("event revision").isEqualTo(++expected);
        }
        assertThat(a.events()).hasSizeLessThanOrEqualTo(1);
        assertThat(a.reply().revision())
            .as("the reply reports the revision it produced")
            .isEqualTo(before + a.events().size());
      }
      assertThat(sim.state.revision()).isEqualTo(expected);
      for (WatchEvent w : sim.stepChanges) {
        assertThat(w.revision()).isEqualTo(expected);
      }
    }
    for (int i = 0; i < sim.log.size(); i++) {
      assertThat(sim.log.get(i).revision()).isEqualTo(i + 1);
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void replayingEveryEmittedEventGivesTheLiveState(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    for (Step step : script) {
      sim.run(step);
    }
    KeyspaceState replayed = replay(sim.log);
    assertThat(replayed.digest()).isEqualTo(sim.state.digest());
    assertThat(replayed.toSnapshot()).isEqualTo(sim.state.toSnapshot());
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void aSnapshotAtAnyPointPlusTheTailEqualsTheFullReplay(
      @ForAll("scripts") List<Step> script, @ForAll @IntRange(min = 0, max = 1000) int cutSeed) {
    Sim sim = new Sim();
    int cut = cutSeed % (script.size() + 1);
    KeyspaceSnapshot snapshot = cut == 0 ? sim.state.toSnapshot() : null;
    int logAtCut = 0;
    for (int i = 0; i < script.size(); i++) {
      sim.run(script.get(i));
      if (i + 1 == cut) {
        snapshot = sim.state.toSnapshot();
        logAtCut = sim.log.size();
      }
    }
    KeyspaceState resumed = KeyspaceState.fromSnapshot(snapshot);
    for (Event e : sim.log.subList(logAtCut, sim.log.size())) {
      Keyspace.apply(resumed, e);
    }
    KeyspaceState full = replay(sim.log);
    assertThat(resumed.digest()).isEqualTo(full.digest()).isEqualTo(sim.state.digest());
    assertThat(resumed.toSnapshot()).isEqualTo(full.toSnapshot());
    long versions = full.toSnapshot().keys().stream().mapToLong(k -> k.versions().size()).sum();
    assertThat(sim.state.retainedVersions()).as("live count").isEqualTo(versions);
    assertThat(resumed.retainedVersions()).as("count after snapshot + tail").isEqualTo(versions);
  }

  @Provide
  Arbitrary<List<Read.Range>> reads() {
    Arbitrary<Read.Range> atRevision =
        Combinators.combine(
                rangeOp(),
                Arbitraries.longs().between(-1, 40),
                Arbitraries.of(0L, 0L, 1L, 2L, -1L),
                Arbitraries.of(true, false),
                Arbitraries.of(true, false))
            .as(
                (r, rev, limit, keysOnly, countOnly) ->
                    new Read.Range(r.key(), r.rangeEnd(), limit, rev, keysOnly, countOnly));
    return Arbitraries.oneOf(rangeOp(), atRevision).list().ofMinSize(1).ofMaxSize(6);
  }

  /**
   * A read from another thread at the published revision P answers exactly what a replica that
   * applied the log up to P answers, while the owner runs ahead with unpublished events; it gives
   * up (null) only when it may not answer, never silently differs.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void aPublishedReadAnswersAsTheStateAtThePublishedRevision(
      @ForAll("scripts") List<Step> script,
      @ForAll("reads") List<Read.Range> reads,
      @ForAll @IntRange(min = 0, max = 3) int lag) {
    Sim sim = new Sim();
    assertThat(sim.ks.readPublished(sim.state, reads.get(0))).as("nothing published yet").isNull();
    for (Step step : script) {
      sim.run(step);
      long published = Math.max(sim.state.published(), sim.state.revision() - lag);
      if (published < 0) {
        continue;
      }
      sim.state.publish(published);
      KeyspaceState durable = replay(sim.log.subList(0, (int) published));
      boolean rewritePending =
          sim.log.subList((int) published, sim.log.size()).stream()
              .anyMatch(
                  e ->
                      e instanceof Event.Compacted
                          || e instanceof Event.NamespaceCreated
                          || e instanceof Event.NamespaceDeleted);
      for (Read.Range r : reads) {
        Reply got = sim.ks.readPublished(sim.state, r);
        Reply want = sim.ks.query(durable, r);
        if (got != null) {
          assertThat(got).as("published read of %s at %d", r, published).isEqualTo(want);
        } else {
          assertThat(rewritePending || !(want instanceof Reply.RangeReply))
              .as("gave up on %s at %d although it could answer %s", r, published, want)
              .isTrue();
        }
      }
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void decideIsDeterministic(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    Keyspace other = new Keyspace(LIMITS);
    KeyspaceState follower = KeyspaceState.empty(true);
    for (Step step : script) {
      Command c = step.command(sim.state);
      Decision first = sim.ks.decide(sim.state, c);
      assertThat(sim.ks.decide(sim.state, c)).as("the same state twice").isEqualTo(first);
      assertThat(other.decide(follower, c)).as("a replica built from the log").isEqualTo(first);
      assertThat(other.decide(KeyspaceState.fromSnapshot(sim.state.toSnapshot()), c))
          .as("a replica restored from a snapshot")
          .isEqualTo(first);
      int logged = sim.log.size();
      assertThat(sim.run(c)).isEqualTo(first);
      for (Event e : sim.log.subList(logged, sim.log.size())) {
        Keyspace.apply(follower, e);
      }
    }
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void aRejectedCommandEmitsNothingAndChangesNothing(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    for (Step step : script) {
      long digest = sim.state.digest();
      long revision = sim.state.revision();
      int logged = sim.log.size();
      int changed = sim.changes.size();
      Decision d = sim.run(step);
      Statistics.label("outcome").collect(outcome(d));
      if (d instanceof Decision.Rejected || ((Decision.Accepted) d).events().isEmpty()) {
        assertThat(sim.state.digest()).isEqualTo(digest);
        assertThat(sim.state.revision()).isEqualTo(revision);
        assertThat(sim.log).hasSize(logged);
        assertThat(sim.changes).hasSize(changed);
      } else {
        assertThat(sim.state.digest())
            .as("an accepted write changes the digest")
            .isNotEqualTo(digest);
      }
    }
    Statistics.label("outcome")
        .coverage(
            cov -> {
              cov.check("accepted").percentage(p -> p > 30);
              cov.check("no-op").count(n -> n > 0);
              for (ErrorCode code :
                  List.of(
                      ErrorCode.EMPTY_KEY,
                      ErrorCode.KEY_TOO_LARGE,
                      ErrorCode.VALUE_TOO_LARGE,
                      ErrorCode.LEASE_NOT_FOUND,
                      ErrorCode.LEASE_EXISTS,
                      ErrorCode.TTL_OUT_OF_RANGE,
                      ErrorCode.COMPACTED,
                      ErrorCode.FUTURE_REVISION,
                      ErrorCode.TOO_MANY_TXN_OPS,
                      ErrorCode.DUPLICATE_KEY_IN_TXN,
                      ErrorCode.NAMESPACE_NOT_FOUND,
                      ErrorCode.NAMESPACE_EXISTS)) {
                cov.check(code.name()).count(n -> n > 0);
              }
            });
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void aReferenceModelAgreesAfterEveryStep(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    Model model = new Model(LIMITS);
    for (Step step : script) {
      Command c = step.command(sim.state);
      Decision d = sim.run(c);
      ErrorCode expected = model.apply(c);
      String where = c.toString();
      if (expected == null) {
        assertThat(d).as("accepted: %s", where).isInstanceOf(Decision.Accepted.class);
      } else {
        assertThat(d).as("rejected: %s", where).isInstanceOf(Decision.Rejected.class);
        assertThat(((Decision.Rejected) d).rejection().code()).as(where).isEqualTo(expected);
      }
      assertThat(sim.state.revision()).as(where).isEqualTo(model.rev);
      assertThat(sim.state.active()).isEqualTo(model.active);
      assertThat(sim.state.compactRevision()).isEqualTo(model.compactRev);
      if (d instanceof Decision.Accepted a && a.reply() instanceof Reply.TxnReply t) {
        checkTxnReply(t, model, where);
      }
      if (model.active) {
        checkCurrentState(sim, model, where);
        // the oldest readable revision is the one most likely to be wrong
        if (model.compactRev > 0) {
          checkRevision(sim, model, model.compactRev);
        }
      }
    }
    if (model.active) {
      for (long r = Math.max(1, model.compactRev); r <= model.rev; r++) {
        checkRevision(sim, model, r);
      }
      if (model.compactRev > 1) {
        Reply below = sim.ks.query(sim.state, Harness.at(Harness.all(), model.compactRev - 1));
        assertThat(((Reply.Rejected) below).code()).isEqualTo(ErrorCode.COMPACTED);
      }
    }
  }

  private static void checkTxnReply(Reply.TxnReply t, Model model, String where) {
    assertThat(t.succeeded()).as(where).isEqualTo(model.txnSucceeded);
    List<List<KeyValue>> ranges = new ArrayList<>();
    for (Reply r : t.responses()) {
      if (r instanceof Reply.RangeReply rr) {
        ranges.add(rr.kvs());
        assertThat(rr.count()).isEqualTo(rr.kvs().size());
      }
    }
    assertThat(ranges).as("range ops inside %s", where).isEqualTo(model.txnRanges);
  }

  private static void checkCurrentState(Sim sim, Model model, String where) {
    Reply.RangeReply all = (Reply.RangeReply) sim.ks.query(sim.state, Harness.all());
    assertThat(all.kvs()).as("after %s", where).containsExactlyElementsOf(model.kvs.values());
    for (String k : KEYS) {
      Reply.RangeReply one = (Reply.RangeReply) sim.ks.query(sim.state, Read.Range.key(k));
      KeyValue want = model.kvs.get(k);
      assertThat(one.kvs()).isEqualTo(want == null ? List.of() : List.of(want));
    }
    for (String p : List.of("a", "a/", "b/")) {
      Reply.RangeReply r = (Reply.RangeReply) sim.ks.query(sim.state, Read.Range.prefix(p));
      assertThat(r.kvs()).isEqualTo(Model.select(model.kvs, p, KeyRange.prefixEnd(p)));
    }
    Reply.LeaseListReply leases =
        (Reply.LeaseListReply) sim.ks.query(sim.state, new Read.LeaseList());
    assertThat(leases.ids()).containsExactlyElementsOf(model.leases.keySet());
    model.leases.forEach(
        (id, ttl) -> {
          Reply.LeaseInfoReply info =
              (Reply.LeaseInfoReply) sim.ks.query(sim.state, new Read.LeaseInfo(id));
          assertThat(info.grantedTtlSeconds()).isEqualTo(ttl);
          assertThat(info.keys())
              .as("keys of lease %d after %s", id, where)
              .isEqualTo(model.leaseKeys(id));
        });
    Reply.StatusReply status = (Reply.StatusReply) sim.ks.query(sim.state, new Read.Status());
    assertThat(status.keys()).isEqualTo(model.kvs.size());
    assertThat(status.leases()).isEqualTo(model.leases.size());
  }

  private static void checkRevision(Sim sim, Model model, long r) {
    Reply reply = sim.ks.query(sim.state, Harness.at(Harness.all(), r));
    assertThat(reply).as("read at %d", r).isInstanceOf(Reply.RangeReply.class);
    assertThat(((Reply.RangeReply) reply).kvs())
        .as("keyspace at revision %d", r)
        .containsExactlyElementsOf(model.byRevision.get(r).values());
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void liveWatchEventsEqualTheHistoryInEveryPageSize(
      @ForAll("scripts") List<Step> script, @ForAll @IntRange(min = 1, max = 7) int maxEvents) {
    Sim sim = new Sim();
    for (Step step : script) {
      sim.run(step);
    }
    if (!sim.state.active()) {
      return;
    }
    long from = sim.state.compactRevision() + 1;
    List<WatchEvent> live = sim.changes.stream().filter(w -> w.revision() >= from).toList();
    Reply.HistoryReply full =
        (Reply.HistoryReply)
            sim.ks.query(sim.state, new Read.History("", KeyRange.UNBOUNDED, from, 0));
    assertThat(full.events()).isEqualTo(live);
    assertThat(full.nextRevision()).isEqualTo(sim.state.revision() + 1);
    for (String k : KEYS) {
      Reply.HistoryReply one =
          (Reply.HistoryReply) sim.ks.query(sim.state, new Read.History(k, null, from, 0));
      assertThat(one.events())
          .isEqualTo(live.stream().filter(w -> w.kv().key().equals(k)).toList());
    }
    List<WatchEvent> paged = new ArrayList<>();
    long next = from;
    while (next <= sim.state.revision()) {
      Reply.HistoryReply page =
          (Reply.HistoryReply)
              sim.ks.query(sim.state, new Read.History("", KeyRange.UNBOUNDED, next, maxEvents));
      assertThat(page.nextRevision()).isGreaterThan(next);
      if (!page.events().isEmpty()) {
        long last = page.events().get(page.events().size() - 1).revision();
        assertThat(page.nextRevision()).as("a page never splits a revision").isGreaterThan(last);
        if (page.nextRevision() <= sim.state.revision()) {
          assertThat(page.events()).hasSizeGreaterThanOrEqualTo(maxEvents);
        }
      }
      paged.addAll(page.events());
      next = page.nextRevision();
    }
    assertThat(paged).isEqualTo(live);
  }

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void repliesDescribeWhatWasStored(@ForAll("scripts") List<Step> script) {
    Sim sim = new Sim();
    for (Step step : script) {
      Decision d = sim.run(step);
      if (!(d instanceof Decision.Accepted a)) {
        continue;
      }
      Reply reply = a.reply();
      List<Reply> replies = reply instanceof Reply.TxnReply t ? t.responses() : List.of(reply);
      long deleted = 0;
      for (Reply r : replies) {
        if (r instanceof Reply.PutReply p) {
          assertThat(p.kv()).isEqualTo(sim.state.get(p.kv().key()));
          if (p.prevKv() != null) {
            assertThat(p.prevKv().version()).isEqualTo(p.kv().version() - 1);
          }
        } else if (r instanceof Reply.DeleteReply del) {
          deleted += del.deleted();
          assertThat(del.prevKvs()).hasSizeLessThanOrEqualTo((int) del.deleted());
        }
      }
      List<String> deletedKeys =
          sim.stepChanges.stream()
              .filter(w -> w.type() == WatchEvent.Type.DELETE)
              .map(w -> w.kv().key())
              .toList();
      if (reply instanceof Reply.LeaseRevokeReply lr) {
        assertThat(lr.deletedKeys()).isEqualTo(deletedKeys);
      } else if (!(reply instanceof Reply.NamespaceReply)) {
        assertThat(deletedKeys).hasSize((int) deleted);
      }
      for (WatchEvent w : sim.stepChanges) {
        if (w.type() == WatchEvent.Type.PUT) {
          assertThat(w.kv()).isEqualTo(sim.state.get(w.kv().key()));
        } else {
          assertThat(sim.state.get(w.kv().key())).isNull();
          assertThat(w.prevKv()).isNotNull();
        }
      }
    }
  }
}
