package dev.cairn.actors.namespace;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.Rejection;
import dev.cairn.core.keyspace.Reply;
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
