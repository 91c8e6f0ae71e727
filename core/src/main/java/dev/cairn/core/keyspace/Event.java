package dev.cairn.core.keyspace;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.cairn.core.Bytes;
import java.util.List;
import java.util.Objects;

/**
 * A committed change. Every event takes exactly the next revision: {@link Keyspace#apply} asserts
 * {@code revision == state.revision + 1}, so a gap or a duplicate in a log is detected.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Event.KeysChanged.class, name = "keys-changed"),
  @JsonSubTypes.Type(value = Event.LeaseGranted.class, name = "lease-granted"),
  @JsonSubTypes.Type(value = Event.LeaseRevoked.class, name = "lease-revoked"),
  @JsonSubTypes.Type(value = Event.Compacted.class, name = "compacted"),
  @JsonSubTypes.Type(value = Event.NamespaceCreated.class, name = "namespace-created"),
  @JsonSubTypes.Type(value = Event.NamespaceDeleted.class, name = "namespace-deleted"),
})
public sealed interface Event {
  long revision();

  /** Puts and deletes committed together, sorted by key, distinct keys. */
  record KeysChanged(long revision, List<Mutation> mutations) implements Event {
    public KeysChanged {
      mutations = List.copyOf(mutations);
    }
  }

  /** One key's change inside {@link KeysChanged}. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Mutation.Put.class, name = "put"),
    @JsonSubTypes.Type(value = Mutation.Delete.class, name = "delete"),
  })
  sealed interface Mutation {
    String key();

    record Put(String key, Bytes value, long lease) implements Mutation {
      public Put {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
      }
    }

    record Delete(String key) implements Mutation {
      public Delete {
        Objects.requireNonNull(key, "key");
      }
    }
  }

  record LeaseGranted(long revision, long id, long ttlSeconds) implements Event {}

  /** A lease ended, by revocation or expiry; every key bound to it is deleted in this revision. */
  record LeaseRevoked(long revision, long id, boolean expired) implements Event {}

  /** History before {@code compactRevision} is dropped. */
  record Compacted(long revision, long compactRevision) implements Event {}

  record NamespaceCreated(long revision) implements Event {}

  /** Every key, lease and all history are dropped; revisions keep counting. */
  record NamespaceDeleted(long revision) implements Event {}
}
