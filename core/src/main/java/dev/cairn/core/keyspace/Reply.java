package dev.cairn.core.keyspace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import java.util.List;

/**
 * The answer to a {@link Command}, a {@link Read}, or another request to a namespace (a lease
 * keepalive, a progress check). {@code revision} is the keyspace revision the answer reflects.
 *
 * <p>Requests whose answer is narrower than any reply name a sub-family ({@link KeepAliveResult}
 * etc.): its one success record or the shared {@link Rejected}, so a caller handles exactly those.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Reply.PutReply.class, name = "put"),
  @JsonSubTypes.Type(value = Reply.DeleteReply.class, name = "delete"),
  @JsonSubTypes.Type(value = Reply.RangeReply.class, name = "range"),
  @JsonSubTypes.Type(value = Reply.TxnReply.class, name = "txn"),
  @JsonSubTypes.Type(value = Reply.CompactReply.class, name = "compact"),
  @JsonSubTypes.Type(value = Reply.LeaseGrantReply.class, name = "lease-grant"),
  @JsonSubTypes.Type(value = Reply.LeaseRevokeReply.class, name = "lease-revoke"),
  @JsonSubTypes.Type(value = Reply.LeaseInfoReply.class, name = "lease-info"),
  @JsonSubTypes.Type(value = Reply.LeaseListReply.class, name = "lease-list"),
  @JsonSubTypes.Type(value = Reply.HistoryReply.class, name = "history"),
  @JsonSubTypes.Type(value = Reply.StatusReply.class, name = "status"),
  @JsonSubTypes.Type(value = Reply.NamespaceReply.class, name = "namespace"),
  @JsonSubTypes.Type(value = Reply.KeepAliveReply.class, name = "keepalive"),
  @JsonSubTypes.Type(value = Reply.KeepAliveManyReply.class, name = "keepalive-many"),
  @JsonSubTypes.Type(value = Reply.LeaseStatusReply.class, name = "lease-status"),
  @JsonSubTypes.Type(value = Reply.ProgressReply.class, name = "progress"),
  @JsonSubTypes.Type(value = Reply.Rejected.class, name = "rejected"),
})
public sealed interface Reply {
  long revision();

  /** The answer to renewing one lease. */
  sealed interface KeepAliveResult extends Reply permits KeepAliveReply, Rejected {}

  /** The answer to renewing many leases at once. */
  sealed interface KeepAliveManyResult extends Reply permits KeepAliveManyReply, Rejected {}

  /** The answer to asking a lease's remaining time. */
  sealed interface LeaseStatusResult extends Reply permits LeaseStatusReply, Rejected {}

  /** The answer to asking for the current durable revision. */
  sealed interface ProgressResult extends Reply permits ProgressReply, Rejected {}

  /**
   * @param prevKv the key before the put, when asked for and it existed; else null
   */
  record PutReply(long revision, KeyValue kv, KeyValue prevKv) implements Reply {}

  record DeleteReply(long revision, long deleted, List<KeyValue> prevKvs) implements Reply {
    public DeleteReply {
      prevKvs = List.copyOf(prevKvs);
    }
  }

  /**
   * @param more true when {@code limit} cut the answer short
   */
  record RangeReply(long revision, List<KeyValue> kvs, long count, boolean more) implements Reply {
    public RangeReply {
      kvs = List.copyOf(kvs);
    }
  }

  record TxnReply(long revision, boolean succeeded, List<Reply> responses) implements Reply {
    public TxnReply {
      responses = List.copyOf(responses);
    }
  }

  record CompactReply(long revision, long compactRevision) implements Reply {}

  record LeaseGrantReply(long revision, long id, long ttlSeconds) implements Reply {}

  record LeaseRevokeReply(long revision, long id, List<String> deletedKeys) implements Reply {
    public LeaseRevokeReply {
      deletedKeys = List.copyOf(deletedKeys);
    }
  }

  record LeaseInfoReply(long revision, long id, long grantedTtlSeconds, List<String> keys)
      implements Reply {
    public LeaseInfoReply {
      keys = List.copyOf(keys);
    }
  }

  record LeaseListReply(long revision, List<Long> ids) implements Reply {
    public LeaseListReply {
      ids = List.copyOf(ids);
    }
  }

  /**
   * @param nextRevision where the next page starts; all changes before it were returned
   */
  record HistoryReply(long revision, List<WatchEvent> events, long nextRevision) implements Reply {
    public HistoryReply {
      events = List.copyOf(events);
    }
  }

  record StatusReply(
      long revision, long compactRevision, boolean active, long keys, long leases, long digest)
      implements Reply {}

  record NamespaceReply(long revision, boolean active) implements Reply {}

  /** Lease {@code id} renewed: it now expires {@code ttlSeconds} from now. */
  record KeepAliveReply(long revision, long id, long ttlSeconds) implements KeepAliveResult {}

  /** Leases renewed together; {@code missing} lists the ones that no longer exist. */
  record KeepAliveManyReply(long revision, List<Long> missing) implements KeepAliveManyResult {
    public KeepAliveManyReply {
      missing = List.copyOf(missing);
    }
  }

  /**
   * A lease's state.
   *
   * @param remainingSeconds time to its expiry, rounded up
   */
  record LeaseStatusReply(
      long revision, long id, long remainingSeconds, long grantedTtlSeconds, List<String> keys)
      implements LeaseStatusResult {
    public LeaseStatusReply {
      keys = List.copyOf(keys);
    }
  }

  /** Every change up to {@code revision} is durable. */
  record ProgressReply(long revision) implements ProgressResult {}

  /** The shared refusal: nothing changed. */
  record Rejected(long revision, Rejection rejection)
      implements Reply, KeepAliveResult, KeepAliveManyResult, LeaseStatusResult, ProgressResult {
    public ErrorCode code() {
      return rejection.code();
    }
  }
}
