package dev.cairn.core.keyspace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.cairn.core.Bytes;
import java.util.List;
import java.util.Objects;

/**
 * A request to change the keyspace. {@link Keyspace#decide} turns it into events or a rejection.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Command.Put.class, name = "put"),
  @JsonSubTypes.Type(value = Command.Delete.class, name = "delete"),
  @JsonSubTypes.Type(value = Command.Txn.class, name = "txn"),
  @JsonSubTypes.Type(value = Command.CreateSequential.class, name = "create-sequential"),
  @JsonSubTypes.Type(value = Command.Compact.class, name = "compact"),
  @JsonSubTypes.Type(value = Command.GrantLease.class, name = "grant-lease"),
  @JsonSubTypes.Type(value = Command.RevokeLease.class, name = "revoke-lease"),
  @JsonSubTypes.Type(value = Command.ExpireLease.class, name = "expire-lease"),
  @JsonSubTypes.Type(value = Command.CreateNamespace.class, name = "create-namespace"),
  @JsonSubTypes.Type(value = Command.DeleteNamespace.class, name = "delete-namespace"),
})
public sealed interface Command {

  /** An operation allowed inside a {@link Txn}: a put, a delete or a range read. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Put.class, name = "put"),
    @JsonSubTypes.Type(value = Delete.class, name = "delete"),
    @JsonSubTypes.Type(value = Read.Range.class, name = "range"),
  })
  sealed interface TxnOp permits Put, Delete, Read.Range {}

  /** Sets {@code key} to {@code value}, bound to {@code lease} (0 for none). */
  record Put(String key, Bytes value, long lease, boolean prevKv) implements Command, TxnOp {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    public static Put of(String key, String value) {
      return new Put(key, Bytes.utf8(value), 0, false);
    }
  }

  /** Deletes {@code key}, or every key in {@code [key, rangeEnd)}; see {@link KeyRange}. */
  record Delete(String key, String rangeEnd, boolean prevKv) implements Command, TxnOp {
    public Delete {
      Objects.requireNonNull(key, "key");
    }

    public static Delete key(String key) {
      return new Delete(key, null, false);
    }

    public static Delete prefix(String prefix) {
      return new Delete(prefix, KeyRange.prefixEnd(prefix), false);
    }
  }

  /**
   * If every compare holds, run {@code success}, else {@code failure}; all in one revision. Ops run
   * in order: a range after a put in the same transaction sees the put.
   */
  record Txn(List<Compare> compare, List<TxnOp> success, List<TxnOp> failure) implements Command {
    public Txn {
      compare = List.copyOf(compare);
      success = List.copyOf(success);
      failure = List.copyOf(failure);
    }
  }

  /** Creates {@code prefix + <20-digit zero-padded revision>}: lexical order is creation order. */
  record CreateSequential(String prefix, Bytes value, long lease) implements Command {
    public CreateSequential {
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(value, "value");
    }
  }

  /** Forgets history before {@code revision}: reads at revisions below it become impossible. */
  record Compact(long revision) implements Command {}

  /** Grants a lease of {@code ttlSeconds}; {@code id} 0 lets the keyspace choose one. */
  record GrantLease(long id, long ttlSeconds) implements Command {}

  /** Revokes a lease on a client's request, deleting every key bound to it. */
  record RevokeLease(long id) implements Command {}

  /** Expires a lease whose deadline the leader saw pass, deleting every key bound to it. */
  record ExpireLease(long id) implements Command {}

  /** Makes an absent namespace usable. */
  record CreateNamespace() implements Command {}

  /** Removes a namespace; refused while it holds keys or leases unless {@code force}. */
  record DeleteNamespace(boolean force) implements Command {}
}
