package dev.cairn.multijvm.history;

import java.util.Objects;

/**
 * One operation on one key as a client saw it. Values are strings; {@code null} is an absent key.
 *
 * @param client the client that invoked it (for reports only)
 * @param key the key it touched
 * @param kind what it did
 * @param value the value written ({@link Kind#WRITE}, the new value of {@link Kind#CAS}), or the
 *     value read ({@link Kind#READ})
 * @param expected the value a {@link Kind#CAS} compared against
 * @param outcome what the client learnt
 * @param invokedAt when it was sent, in nanoseconds of one clock shared by every client
 * @param completedAt when its answer arrived; {@link Long#MAX_VALUE} when the outcome is unknown
 */
public record Op(
    int client,
    String key,
    Kind kind,
    String value,
    String expected,
    Outcome outcome,
    long invokedAt,
    long completedAt) {

  /** What an operation does to the register. */
  public enum Kind {
    READ,
    WRITE,
    DELETE,
    CAS
  }

  /** What the client learnt of an operation. */
  public enum Outcome {
    /** It took effect (a read returned {@code value}; a CAS matched and wrote). */
    OK,
    /** A CAS that did not match: it took effect as a read that saw something else. */
    FAILED,
    /** The client does not know whether it took effect (timeout, connection lost). */
    UNKNOWN
  }

  public Op {
    Objects.requireNonNull(key);
    Objects.requireNonNull(kind);
    Objects.requireNonNull(outcome);
    if (completedAt < invokedAt) {
      throw new IllegalArgumentException(
          "completed before invoked: " + invokedAt + " > " + completedAt);
    }
    if (outcome == Outcome.UNKNOWN && completedAt != Long.MAX_VALUE) {
      throw new IllegalArgumentException("an unknown outcome completes at infinity");
    }
    if (outcome == Outcome.FAILED && kind != Kind.CAS) {
      throw new IllegalArgumentException(
          "only a compare-and-set can fail and still be in the history");
    }
  }

  @Override
  public String toString() {
    String what =
        switch (kind) {
          case READ -> "read→" + value;
          case WRITE -> "write(" + value + ")";
          case DELETE -> "delete";
          case CAS -> "cas(" + expected + "→" + value + ")";
        };
    String end = completedAt == Long.MAX_VALUE ? "∞" : Long.toString(completedAt);
    return "c" + client + " " + what + " " + outcome + " [" + invokedAt + ", " + end + "]";
  }
}
