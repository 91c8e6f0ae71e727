package dev.cairn.core.keyspace;

import dev.cairn.core.Bytes;
import java.util.Objects;

/**
 * A transaction condition: {@code target(key) op operand}. A missing key has version, create
 * revision, mod revision and lease 0; a value compare on a missing key is false.
 *
 * @param value the operand for {@link Target#VALUE}; for {@link Target#FENCE}, the value the
 *     holder's key must hold when not empty (see {@link #fence(String, long, Bytes)}); ignored
 *     otherwise
 * @param number the operand for every other target
 */
public record Compare(String key, Target target, Op op, Bytes value, long number) {
  public Compare {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(op, "op");
    value = value == null ? Bytes.EMPTY : value;
  }

  public static Compare number(String key, Target target, Op op, long number) {
    return new Compare(key, target, op, Bytes.EMPTY, number);
  }

  public static Compare value(String key, Op op, Bytes value) {
    return new Compare(key, Target.VALUE, op, value, 0);
  }

  /**
   * A fence: holds while the key with the lowest create revision starting with {@code lockPrefix}
   * (the holder of the lock kept there) was created at {@code token}. A transaction with a fence
   * that does not hold is refused as a whole with {@code fenced}; no branch runs.
   */
  public static Compare fence(String lockPrefix, long token) {
    return new Compare(lockPrefix, Target.FENCE, Op.EQUAL, Bytes.EMPTY, token);
  }

  /**
   * A fence that also requires the holder's key to hold {@code holderValue} (not empty): e.g. a
   * read-write lock's holder in mode {@code write}, so that a reader's token, even the oldest
   * reader's, fences nothing.
   */
  public static Compare fence(String lockPrefix, long token, Bytes holderValue) {
    if (holderValue.size() == 0) {
      throw new IllegalArgumentException("a fence's holder value must not be empty");
    }
    return new Compare(lockPrefix, Target.FENCE, Op.EQUAL, holderValue, token);
  }

  public enum Target {
    VALUE,
    VERSION,
    CREATE_REVISION,
    MOD_REVISION,
    LEASE,
    /**
     * The lowest create revision of the live keys starting with {@code key} (0 when there are
     * none). A compare on it that fails refuses the transaction with {@code fenced} instead of
     * running the failure branch: see {@link Compare#fence}.
     */
    FENCE
  }

  public enum Op {
    EQUAL,
    NOT_EQUAL,
    LESS,
    GREATER;

    boolean holds(int comparison) {
      return switch (this) {
        case EQUAL -> comparison == 0;
        case NOT_EQUAL -> comparison != 0;
        case LESS -> comparison < 0;
        case GREATER -> comparison > 0;
      };
    }
  }
}
