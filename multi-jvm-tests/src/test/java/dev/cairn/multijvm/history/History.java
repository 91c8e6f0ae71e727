package dev.cairn.multijvm.history;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A history being recorded by concurrent clients of one JVM, timed by {@link System#nanoTime()}. A
 * client calls {@link #invoke} just before sending and then exactly one of the pending operation's
 * {@code ok}/{@code failed}/{@code unknown} methods after its answer; an operation known not to
 * have taken effect (refused before it reached the store, a read that failed) is {@linkplain
 * Pending#discard() discarded}.
 */
public final class History {
  private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();

  /** An invoked operation waiting for its outcome. */
  public final class Pending {
    private final int client;
    private final String key;
    private final Op.Kind kind;
    private final String value;
    private final String expected;
    private final long invokedAt = System.nanoTime();
    private boolean done;

    private Pending(int client, String key, Op.Kind kind, String value, String expected) {
      this.client = client;
      this.key = key;
      this.kind = kind;
      this.value = value;
      this.expected = expected;
    }

    /** A write, delete or matched CAS took effect. */
    public void ok() {
      finish(value, Op.Outcome.OK, System.nanoTime());
    }

    /** A read returned {@code read} ({@code null}: the key was absent). */
    public void read(String read) {
      finish(read, Op.Outcome.OK, System.nanoTime());
    }

    /** A CAS did not match. */
    public void failed() {
      finish(value, Op.Outcome.FAILED, System.nanoTime());
    }

    /** The client cannot tell whether the operation took effect. */
    public void unknown() {
      finish(value, Op.Outcome.UNKNOWN, Long.MAX_VALUE);
    }

    /** The operation certainly did not take effect: it is left out of the history. */
    public void discard() {
      if (done) {
        throw new IllegalStateException("finished twice");
      }
      done = true;
    }

    private void finish(String v, Op.Outcome outcome, long completedAt) {
      if (done) {
        throw new IllegalStateException("finished twice");
      }
      done = true;
      ops.add(new Op(client, key, kind, v, expected, outcome, invokedAt, completedAt));
    }
  }

  public Pending read(int client, String key) {
    return new Pending(client, key, Op.Kind.READ, null, null);
  }

  public Pending write(int client, String key, String value) {
    return new Pending(client, key, Op.Kind.WRITE, value, null);
  }

  public Pending delete(int client, String key) {
    return new Pending(client, key, Op.Kind.DELETE, null, null);
  }

  public Pending cas(int client, String key, String expected, String value) {
    return new Pending(client, key, Op.Kind.CAS, value, expected);
  }

  /** Every finished operation so far. */
  public List<Op> ops() {
    return new ArrayList<>(ops);
  }
}
