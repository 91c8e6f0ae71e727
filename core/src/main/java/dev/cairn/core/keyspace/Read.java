package dev.cairn.core.keyspace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;

/** A read of the keyspace; {@link Keyspace#query} answers it without changing anything. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Read.Range.class, name = "range"),
  @JsonSubTypes.Type(value = Read.LeaseInfo.class, name = "lease-info"),
  @JsonSubTypes.Type(value = Read.LeaseList.class, name = "lease-list"),
  @JsonSubTypes.Type(value = Read.History.class, name = "history"),
  @JsonSubTypes.Type(value = Read.Status.class, name = "status"),
})
public sealed interface Read {

  /**
   * Keys in {@code [key, rangeEnd)} (see {@link KeyRange}) as of {@code revision} (0 = current).
   *
   * @param limit most key-values returned, 0 for no limit; {@code count} still counts all
   */
  record Range(
      String key, String rangeEnd, long limit, long revision, boolean keysOnly, boolean countOnly)
      implements Read, Command.TxnOp {
    public Range {
      Objects.requireNonNull(key, "key");
    }

    public static Range key(String key) {
      return new Range(key, null, 0, 0, false, false);
    }

    public static Range prefix(String prefix) {
      return new Range(prefix, KeyRange.prefixEnd(prefix), 0, 0, false, false);
    }
  }

  /** One lease: granted TTL and attached keys. */
  record LeaseInfo(long id) implements Read {}

  /** Every live lease. */
  record LeaseList() implements Read {}

  /**
   * Changes to keys in {@code [key, rangeEnd)} with revision {@code >= fromRevision}, in revision
   * order, stopping at a revision boundary once at least {@code maxEvents} are gathered.
   */
  record History(String key, String rangeEnd, long fromRevision, int maxEvents) implements Read {
    public History {
      Objects.requireNonNull(key, "key");
    }
  }

  /** The revision, compact revision, key count and digest. */
  record Status() implements Read {}
}
