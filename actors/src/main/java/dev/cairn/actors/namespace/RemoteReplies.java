package dev.cairn.actors.namespace;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Reply;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Keeps a leader's answer to another node within Artery's frame: Artery drops a message larger than
 * {@code pekko.remote.artery.advanced.maximum-frame-size} with only a log line on the sending node,
 * so the asker would time out. A reply that can grow with the state (ranges, transactions, deletes
 * with their previous values, history, lease key lists) is measured before it goes to a remote
 * asker and, when it would not fit, replaced by {@code response_too_large}. Replies to an asker on
 * the same node are never measured (nothing limits them).
 */
final class RemoteReplies {
  /** What Artery adds to a serialized message (envelope header, recipient and sender paths). */
  static final long HEADER_ALLOWANCE = 16 * 1024;

  private final Serialization serialization;
  private final long limit;

  RemoteReplies(ActorSystem system) {
    this.serialization = SerializationExtension.get(system);
    this.limit =
        system.settings().config().getBytes("pekko.remote.artery.advanced.maximum-frame-size")
            - HEADER_ALLOWANCE;
  }

  /** {@code reply}, or {@code response_too_large} when it cannot reach {@code replyTo}. */
  Reply fit(ActorRef replyTo, Reply reply) {
    if (replyTo.path().address().hasLocalScope() || !mayBeLarge(reply)) {
      return reply;
    }
    long bound = bound(reply);
    if (bound >= 0 && bound <= limit) {
      return reply; // surely fits: no second serialization on the leader's thread
    }
    long size = serialization.serialize(reply).get().length;
    if (size <= limit) {
      return reply;
    }
    return new Reply.Rejected(
        reply.revision(),
        Rejection.of(
            ErrorCode.RESPONSE_TOO_LARGE,
            "the answer ("
                + size
                + " bytes) is larger than a reply between nodes can be ("
                + limit
                + "): narrow it with limit or a smaller range, read it with"
                + " consistency=serializable, or ask the node that leads the namespace"));
  }

  /**
   * What one key-value adds to a serialized reply besides its key and value: field names, numbers.
   */
  static final long PER_KV = 256;

  /** What a reply adds besides its key-values. */
  static final long PER_REPLY = 256;

  /**
   * An upper bound of {@code reply}'s serialized size, computed without serializing it (a key's
   * UTF-8 takes at most 3 bytes a char); -1 for a reply it does not cover, which is then measured.
   */
  static long bound(Reply reply) {
    if (reply instanceof Reply.RangeReply r) {
      return PER_REPLY + bound(r.kvs());
    } else if (reply instanceof Reply.DeleteReply d) {
      return PER_REPLY + bound(d.prevKvs());
    } else if (reply instanceof Reply.PutReply p) {
      return PER_REPLY + bound(p.kv()) + bound(p.prevKv());
    } else if (reply instanceof Reply.TxnReply t) {
      long sum = PER_REPLY;
      for (Reply r : t.responses()) {
        long b = bound(r);
        if (b < 0) {
          return -1;
        }
        sum += b;
      }
      return sum;
    }
    return -1;
  }

  private static long bound(List<KeyValue> kvs) {
    long sum = 0;
    for (KeyValue kv : kvs) {
      sum += bound(kv);
    }
    return sum;
  }

  private static long bound(KeyValue kv) {
    return kv == null ? 0 : PER_KV + 3L * kv.key().length() + kv.value().size();
  }

  /** Replies whose size grows with the state; the others are bounded by the request limits. */
  private static boolean mayBeLarge(Reply reply) {
    return reply instanceof Reply.RangeReply
        || reply instanceof Reply.TxnReply
        || reply instanceof Reply.DeleteReply
        || reply instanceof Reply.HistoryReply
        || reply instanceof Reply.LeaseRevokeReply
        || reply instanceof Reply.LeaseInfoReply
        || reply instanceof Reply.LeaseListReply;
  }
}
