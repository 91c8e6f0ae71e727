package dev.cairn.http.kv;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Compare;
import dev.cairn.http.ApiException;
import dev.cairn.http.Request;
import dev.cairn.recipes.election.Election;
import dev.cairn.recipes.lock.Lock;
import dev.cairn.recipes.rwlock.RwLock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Fenced writes: the token of a recipe's holder as a condition of a write, checked by the keyspace
 * in the write's own decision ({@link Compare#fence}). Three recipes hand out tokens that fence:
 *
 * <ul>
 *   <li>a lock: {@code X-Cairn-Fence: <lock>:<token>}, {@code {"fence": {"lock", "token"}}};
 *   <li>an election's leader: {@code X-Cairn-Fence-Election: <election>:<token>}, {@code {"fence":
 *       {"election", "token"}}};
 *   <li>a read-write lock's writer: {@code X-Cairn-Fence-Rwlock: <rwlock>:<token>}, {@code
 *       {"fence": {"rwlock", "token"}}}; a reader's token fences nothing (refused as {@code
 *       fenced}).
 * </ul>
 *
 * A name may hold ':'; the token is after the last one. A fence that does not hold (a newer holder
 * or leader, or none) refuses the whole request with 412 {@code fenced}.
 */
final class Fences {
  private Fences() {}

  /** A recipe whose holder's token fences a write, with its header and its txn field. */
  enum Kind {
    LOCK("X-Cairn-Fence", "lock"),
    ELECTION("X-Cairn-Fence-Election", "election"),
    RWLOCK("X-Cairn-Fence-Rwlock", "read-write lock");

    final String header;
    final String what;

    Kind(String header, String what) {
      this.header = header;
      this.what = what;
    }

    Compare compare(String name, long token) {
      if (name.isEmpty() || token <= 0) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST,
            "a fence needs a " + what + " name and a positive fencing token");
      }
      return switch (this) {
        case LOCK -> Lock.fence(name, token);
        case ELECTION -> Election.fence(name, token);
        case RWLOCK -> RwLock.fence(name, token);
      };
    }
  }

  /** The fences of a kv write's headers, in {@link Kind} order (none when it has none). */
  static List<Compare> fromHeaders(Request r) {
    List<Compare> out = new ArrayList<>(1);
    for (Kind k : Kind.values()) {
      Optional<String> header = r.header(k.header);
      if (header.isEmpty()) {
        continue;
      }
      String v = header.get().trim();
      int colon = v.lastIndexOf(':');
      long token;
      try {
        token = colon < 0 ? -1 : Long.parseLong(v.substring(colon + 1));
      } catch (NumberFormatException e) {
        token = -1;
      }
      if (colon <= 0 || token <= 0) {
        throw new ApiException(
            ErrorCode.MALFORMED_REQUEST,
            k.header + " must be <" + k.what + " name>:<fencing token>, not '" + v + "'");
      }
      out.add(k.compare(v.substring(0, colon), token));
    }
    return out;
  }

  /** The fence of a txn compare {@code {"fence": {"lock"|"election"|"rwlock": name, "token"}}}. */
  static Compare fromBody(TxnJson.FenceBody f) {
    int named = (f.lock() == null ? 0 : 1) + (f.election() == null ? 0 : 1);
    named += f.rwlock() == null ? 0 : 1;
    if (named != 1 || f.token() == null) {
      throw new ApiException(
          ErrorCode.MALFORMED_REQUEST,
          "a fence needs a token and exactly one of lock, election and rwlock");
    }
    if (f.lock() != null) {
      return Kind.LOCK.compare(f.lock(), f.token());
    } else if (f.election() != null) {
      return Kind.ELECTION.compare(f.election(), f.token());
    }
    return Kind.RWLOCK.compare(f.rwlock(), f.token());
  }
}
