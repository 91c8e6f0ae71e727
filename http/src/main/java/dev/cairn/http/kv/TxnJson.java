package dev.cairn.http.kv;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The JSON shapes of {@code POST /v1/txn}. */
final class TxnJson {
  private TxnJson() {}

  record Body(List<CompareBody> compare, List<OpBody> success, List<OpBody> failure) {}

  /**
   * @param value a string (decoded per {@code encoding}) for target {@code value}, an integer
   *     otherwise
   */
  /**
   * Either {@code key}, {@code target}, {@code op} and {@code value}, or only {@code fence}: the
   * transaction is refused with {@code fenced} unless that lock, election or read-write lock is
   * held (led, held for writing) with that token.
   */
  record CompareBody(
      String key, String target, String op, JsonNode value, String encoding, FenceBody fence) {}

  /** Exactly one of {@code lock}, {@code election} and {@code rwlock}, with {@code token}. */
  record FenceBody(String lock, String election, String rwlock, Long token) {}

  /** Exactly one of the three is set. */
  record OpBody(PutBody put, DeleteBody delete, RangeBody range) {}

  record PutBody(String key, String value, String encoding, Long lease, Boolean prevKv) {}

  record DeleteBody(String key, Boolean prefix, String rangeEnd, Boolean prevKv) {}

  record RangeBody(
      String key,
      Boolean prefix,
      String rangeEnd,
      Long limit,
      Long revision,
      Boolean keysOnly,
      Boolean countOnly) {}

  record CompactBody(Long revision) {}
}
