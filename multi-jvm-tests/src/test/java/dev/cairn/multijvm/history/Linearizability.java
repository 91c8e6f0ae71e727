package dev.cairn.multijvm.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a history of single-key register operations is linearizable: whether there is one
 * order of the operations, consistent with real time (an operation that completed before another
 * was invoked comes first), in which every read returns the last value written and every
 * compare-and-set matches exactly when it said it did.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization of (set of linearized operations,
 * register state) as in Porcupine and Knossos, run per key (a register history is linearizable iff
 * each key's is). An operation with an unknown outcome may take effect at any point after its
 * invocation or never. The search is exponential in the worst case; a budget of steps per key turns
 * an undecided key into {@link Verdict#UNKNOWN} rather than a hang.
 */
public final class Linearizability {

  /** The answer for a whole history. */
  public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN
  }

  /**
   * The answer, with the first key found not linearizable (or undecided) and its operations in
   * invocation order, for the failure message.
   */
  public record Result(Verdict verdict, String key, List<Op> ops) {
    public boolean linearizable() {
      return verdict == Verdict.LINEARIZABLE;
    }

    @Override
    public String toString() {
      if (verdict == Verdict.LINEARIZABLE) {
        return "linearizable";
      }
      StringBuilder b = new StringBuilder(verdict + " at key " + key + ":");
      ops.forEach(op -> b.append("\n  ").append(op));
      return b.toString();
    }
  }

  private static final long DEFAULT_BUDGET = 20_000_000L;

  private Linearizability() {}

  /** Checks every key of {@code history}, starting from every key absent. */
  public static Result check(List<Op> history) {
    return check(history, DEFAULT_BUDGET);
  }

  /** As {@link #check(List)}, giving up on a key after {@code budget} search steps. */
  public static Result check(List<Op> history, long budget) {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : history) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    Result undecided = null;
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      Verdict v = checkKey(e.getValue(), budget);
      if (v == Verdict.NOT_LINEARIZABLE) {
        return new Result(v, e.getKey(), sorted(e.getValue()));
      }
      if (v == Verdict.UNKNOWN && undecided == null) {
        undecided = new Result(v, e.getKey(), sorted(e.getValue()));
      }
    }
    return undecided != null ? undecided : new Result(Verdict.LINEARIZABLE, null, List.of());
  }

  private static List<Op> sorted(List<Op> ops) {
    List<Op> s = new ArrayList<>(ops);
    s.sort(Comparator.comparingLong(Op::invokedAt));
    return s;
  }

  /** One call or return event of an operation, in a doubly linked list ordered by time. */
  private static final class Entry {
    final int id;
    final boolean call;
    final long time;
    Entry match; // a call's return entry
    Entry prev;
    Entry next;

    Entry(int id, boolean call, long time) {
      this.id = id;
      this.call = call;
      this.time = time;
    }
  }

  /** What the register holds; {@code null} value is an absent key. */
  private record State(String value) {}

  private static Verdict checkKey(List<Op> ops, long budget) {
    int n = ops.size();
    List<Entry> events = new ArrayList<>(2 * n);
    for (int i = 0; i < n; i++) {
      Op op = ops.get(i);
      Entry call = new Entry(i, true, op.invokedAt());
      Entry ret = new Entry(i, false, op.completedAt());
      call.match = ret;
      events.add(call);
      events.add(ret);
    }
    // By time; at equal times calls first, so operations that touch at an instant are concurrent.
    events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> e.call ? 0 : 1));
    Entry head = new Entry(-1, false, Long.MIN_VALUE);
    Entry last = head;
    for (Entry e : events) {
      last.next = e;
      e.prev = last;
      last = e;
    }

    Map<BitSet, Set<State>> seen = new HashMap<>();
    Deque<Entry> calls = new ArrayDeque<>();
    Deque<State> states = new ArrayDeque<>();
    BitSet linearized = new BitSet(n);
    State state = new State(null);
    Entry entry = head.next;
    long steps = 0;
    while (head.next != null) {
      if (++steps > budget) {
        return Verdict.UNKNOWN;
      }
      if (entry.call) {
        Op op = ops.get(entry.id);
        State next = step(state, op);
        boolean fresh = false;
        if (next != null) {
          BitSet with = (BitSet) linearized.clone();
          with.set(entry.id);
          fresh = seen.computeIfAbsent(with, k -> new HashSet<>()).add(next);
        }
        if (fresh) {
          calls.push(entry);
          states.push(state);
          state = next;
          linearized.set(entry.id);
          lift(entry);
          entry = head.next;
        } else {
          entry = entry.next;
        }
      } else {
        // A return reached with its call still pending: something before it must be undone.
        if (calls.isEmpty()) {
          return Verdict.NOT_LINEARIZABLE;
        }
        Entry undo = calls.pop();
        state = states.pop();
        linearized.clear(undo.id);
        unlift(undo);
        entry = undo.next;
      }
    }
    return Verdict.LINEARIZABLE;
  }

  /**
   * The register after {@code op} from {@code s}, or null when {@code op}'s answer rules it out.
   */
  private static State step(State s, Op op) {
    boolean unknown = op.outcome() == Op.Outcome.UNKNOWN;
    switch (op.kind()) {
      case WRITE:
        return new State(op.value());
      case DELETE:
        return new State(null);
      case READ:
        // A read of unknown outcome says nothing; it is any read.
        return unknown || Objects.equals(s.value(), op.value()) ? s : null;
      case CAS:
        boolean matches = Objects.equals(s.value(), op.expected());
        if (op.outcome() == Op.Outcome.FAILED) {
          return matches ? null : s;
        }
        if (matches) {
          return new State(op.value());
        }
        // An unknown CAS that did not match changed nothing; a CAS reported OK must have matched.
        return unknown ? s : null;
      default:
        throw new IllegalStateException("unhandled " + op.kind());
    }
  }

  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Entry ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  private static void unlift(Entry call) {
    Entry ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }
}
