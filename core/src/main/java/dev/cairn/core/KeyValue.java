package dev.cairn.core;

import java.util.Objects;

/**
 * One version of a key.
 *
 * @param createRevision revision at which this generation of the key was created
 * @param modRevision revision of the last change to the key
 * @param version 1 at creation, +1 per put; reset by a delete
 * @param lease the lease the key is bound to, 0 if none
 */
public record KeyValue(
    String key, Bytes value, long createRevision, long modRevision, long version, long lease) {
  public KeyValue {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }
}
