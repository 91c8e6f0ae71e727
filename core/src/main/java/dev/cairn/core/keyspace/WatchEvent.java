package dev.cairn.core.keyspace;

import dev.cairn.core.KeyValue;
import java.util.Objects;

/**
 * One key's change as a watcher sees it. A delete's {@code kv} has version 0, an empty value and
 * the deleting revision as mod revision.
 *
 * @param prevKv the key before the change, or null when it did not exist or is compacted
 */
public record WatchEvent(Type type, KeyValue kv, KeyValue prevKv) {
  public WatchEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(kv, "kv");
  }

  public long revision() {
    return kv.modRevision();
  }

  public enum Type {
    PUT,
    DELETE
  }
}
