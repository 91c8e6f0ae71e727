package dev.cairn.core.keyspace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Rejection;
import java.util.List;

/**
 * The answer to a {@link Command} or a {@link Read}. {@code revision} is the keyspace revision the
 * answer reflects.
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
  @JsonSubTypes.Type(value = Reply.Rejected.class, name = "rejected"),
})
public sealed interface Reply {
  long revision();

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

  /** The shared refusal: nothing changed. */
  record Rejected(long revision, Rejection rejection) implements Reply {
    public ErrorCode code() {
      return rejection.code();
    }
  }
}
