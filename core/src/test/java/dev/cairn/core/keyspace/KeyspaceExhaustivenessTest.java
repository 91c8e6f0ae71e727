package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.cairn.core.Limits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Walks every permitted subtype of the sealed hierarchies and proves decide, apply and query handle
 * each one. Adding a subtype without a sample here fails {@link #everyTypeHasASample}.
 */
class KeyspaceExhaustivenessTest {

  private static final Map<Class<?>, Command> COMMANDS = new LinkedHashMap<>();
  private static final Map<Class<?>, Read> READS = new LinkedHashMap<>();
  private static final Map<Class<?>, Command.TxnOp> TXN_OPS = new LinkedHashMap<>();

  static {
    COMMANDS.put(Command.Put.class, new Command.Put("k", b("v"), 1, true));
    COMMANDS.put(Command.Delete.class, new Command.Delete("a", "z", true));
    COMMANDS.put(
        Command.Txn.class,
        new Command.Txn(
            List.of(Compare.number("k", Compare.Target.VERSION, Compare.Op.GREATER, 0)),
            List.of(Command.Put.of("t", "1"), Command.Delete.key("x"), Read.Range.prefix("")),
            List.of(Read.Range.key("k"))));
    COMMANDS.put(Command.CreateSequential.class, new Command.CreateSequential("s/", b("v"), 0));
    COMMANDS.put(Command.Compact.class, new Command.Compact(2));
    COMMANDS.put(Command.GrantLease.class, new Command.GrantLease(0, 10));
    COMMANDS.put(Command.RevokeLease.class, new Command.RevokeLease(1));
    COMMANDS.put(Command.ExpireLease.class, new Command.ExpireLease(1));
    COMMANDS.put(Command.CreateNamespace.class, new Command.CreateNamespace());
    COMMANDS.put(Command.DeleteNamespace.class, new Command.DeleteNamespace(true));

    READS.put(Read.Range.class, Read.Range.prefix("k"));
    READS.put(Read.LeaseInfo.class, new Read.LeaseInfo(1));
    READS.put(Read.LeaseList.class, new Read.LeaseList());
    READS.put(Read.History.class, new Read.History("", "", 1, 0));
    READS.put(Read.Status.class, new Read.Status());

    TXN_OPS.put(Command.Put.class, Command.Put.of("t", "1"));
    TXN_OPS.put(Command.Delete.class, Command.Delete.prefix("x"));
    TXN_OPS.put(Read.Range.class, Read.Range.prefix(""));
  }

  /** States every command and read is tried against. */
  private static List<Supplier<KeyspaceState>> states() {
    return List.of(
        () -> KeyspaceState.empty(false),
        () -> KeyspaceState.empty(true),
        () -> {
          Harness h = Harness.active();
          h.grant(10);
          h.put("k", "v", 1);
          h.put("x", "1");
          h.put("k", "w", 1);
          return h.state;
        });
  }

  private static Set<Class<?>> permitted(Class<?> sealed) {
    assertThat(sealed.isSealed()).as("%s is sealed", sealed).isTrue();
    return new HashSet<>(Arrays.asList(sealed.getPermittedSubclasses()));
  }

  @Test
  void everyTypeHasASample() {
    assertThat(COMMANDS.keySet()).containsExactlyInAnyOrderElementsOf(permitted(Command.class));
    assertThat(READS.keySet()).containsExactlyInAnyOrderElementsOf(permitted(Read.class));
    assertThat(TXN_OPS.keySet())
        .containsExactlyInAnyOrderElementsOf(permitted(Command.TxnOp.class));
  }

  @Test
  void decideAndApplyHandleEveryCommandAndEveryEventItEmits() {
    Keyspace ks = new Keyspace(Limits.DEFAULT);
    Set<Class<?>> events = new HashSet<>();
    Set<Class<?>> mutations = new HashSet<>();
    Set<Class<?>> replies = new HashSet<>();
    Set<Class<?>> decisions = new HashSet<>();
    Set<WatchEvent.Type> watchTypes = new HashSet<>();
    for (Supplier<KeyspaceState> fresh : states()) {
      for (Command c : COMMANDS.values()) {
        KeyspaceState s = fresh.get();
        Decision[] d = new Decision[1];
        assertThatCode(() -> d[0] = ks.decide(s, c)).as("decide %s", c).doesNotThrowAnyException();
        decisions.add(d[0].getClass());
        if (d[0] instanceof Decision.Accepted a) {
          replies.add(a.reply().getClass());
          for (Event e : a.events()) {
            events.add(e.getClass());
            if (e instanceof Event.KeysChanged kc) {
              kc.mutations().forEach(m -> mutations.add(m.getClass()));
            }
            assertThatCode(() -> Keyspace.apply(s, e, w -> watchTypes.add(w.type())))
                .as("apply %s", e)
                .doesNotThrowAnyException();
          }
        }
      }
    }
    assertThat(decisions).containsExactlyInAnyOrderElementsOf(permitted(Decision.class));
    assertThat(events).containsExactlyInAnyOrderElementsOf(permitted(Event.class));
    assertThat(mutations).containsExactlyInAnyOrderElementsOf(permitted(Event.Mutation.class));
    assertThat(watchTypes).containsExactlyInAnyOrder(WatchEvent.Type.values());
    Set<Class<?>> queried = queryAll(ks);
    assertThat(queried).as("reads are refused with Reply.Rejected").contains(Reply.Rejected.class);
    replies.addAll(queried);
    assertThat(replies).containsExactlyInAnyOrderElementsOf(coreReplies());
  }

  /**
   * Replies made by the namespace leader, not by the state machine: lease renewals and lease
   * deadlines live in the leader, and progress is the leader's durable revision.
   */
  private static final Set<Class<?>> LEADER_REPLIES =
      Set.of(
          Reply.KeepAliveReply.class,
          Reply.KeepAliveManyReply.class,
          Reply.LeaseStatusReply.class,
          Reply.ProgressReply.class);

  /**
   * Every record of the {@link Reply} family, through its sealed sub-families, but the leader's.
   */
  private static Set<Class<?>> coreReplies() {
    Set<Class<?>> leaves = new HashSet<>();
    List<Class<?>> todo = new ArrayList<>(permitted(Reply.class));
    while (!todo.isEmpty()) {
      Class<?> c = todo.remove(todo.size() - 1);
      if (c.isSealed()) {
        todo.addAll(permitted(c));
      } else {
        leaves.add(c);
      }
    }
    assertThat(leaves).containsAll(LEADER_REPLIES);
    leaves.removeAll(LEADER_REPLIES);
    return leaves;
  }

  private static Set<Class<?>> queryAll(Keyspace ks) {
    Set<Class<?>> replies = new HashSet<>();
    for (Supplier<KeyspaceState> fresh : states()) {
      for (Read r : READS.values()) {
        KeyspaceState s = fresh.get();
        Reply[] reply = new Reply[1];
        assertThatCode(() -> reply[0] = ks.query(s, r))
            .as("query %s", r)
            .doesNotThrowAnyException();
        replies.add(reply[0].getClass());
      }
    }
    return replies;
  }

  @Test
  void everyReadIsAnsweredWithItsOwnReplyTypeOnAPopulatedState() {
    Keyspace ks = new Keyspace(Limits.DEFAULT);
    KeyspaceState s = states().get(2).get();
    Map<Class<?>, Class<?>> expected =
        Map.of(
            Read.Range.class, Reply.RangeReply.class,
            Read.LeaseInfo.class, Reply.LeaseInfoReply.class,
            Read.LeaseList.class, Reply.LeaseListReply.class,
            Read.History.class, Reply.HistoryReply.class,
            Read.Status.class, Reply.StatusReply.class);
    assertThat(expected.keySet()).containsExactlyInAnyOrderElementsOf(READS.keySet());
    READS.forEach((type, read) -> assertThat(ks.query(s, read)).isInstanceOf(expected.get(type)));
  }

  @Test
  void everyTxnOpRunsInEitherBranchWithItsOwnReplyType() {
    Map<Class<?>, Class<?>> expected =
        Map.of(
            Command.Put.class, Reply.PutReply.class,
            Command.Delete.class, Reply.DeleteReply.class,
            Read.Range.class, Reply.RangeReply.class);
    for (boolean succeed : new boolean[] {true, false}) {
      Harness h = Harness.active();
      h.put("x1", "v");
      List<Command.TxnOp> ops = new ArrayList<>(TXN_OPS.values());
      Compare c = Compare.number("x1", Compare.Target.VERSION, Compare.Op.EQUAL, succeed ? 1 : 5);
      Reply.TxnReply r =
          h.txn(new Command.Txn(List.of(c), succeed ? ops : List.of(), succeed ? List.of() : ops));
      assertThat(r.succeeded()).isEqualTo(succeed);
      for (int i = 0; i < ops.size(); i++) {
        assertThat(r.responses().get(i)).isInstanceOf(expected.get(ops.get(i).getClass()));
      }
    }
  }

  @Test
  void everyCompareTargetAndOperatorIsEvaluated() {
    Harness h = Harness.active();
    h.put("k", "v");
    for (Compare.Target t : Compare.Target.values()) {
      for (Compare.Op op : Compare.Op.values()) {
        for (String key : List.of("k", "missing")) {
          Compare c = new Compare(key, t, op, b("v"), 1);
          Command.Txn txn = new Command.Txn(List.of(c), List.of(), List.of());
          // A fence that does not hold refuses the transaction rather than choosing a branch.
          assertThatCode(() -> h.decide(txn)).as("%s", c).doesNotThrowAnyException();
          if (t != Compare.Target.FENCE) {
            assertThatCode(() -> h.txn(txn)).as("%s", c).doesNotThrowAnyException();
          }
        }
      }
    }
    assertThat(h.rev()).isEqualTo(1);
  }
}
