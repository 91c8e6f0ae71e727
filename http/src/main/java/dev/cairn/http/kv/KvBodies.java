package dev.cairn.http.kv;

import dev.cairn.http.Json;
import java.util.List;

/**
 * The JSON answers of {@code /kv}, {@code /txn} and {@code /compact}, each named as its schema in
 * {@code openapi.yaml} ({@code OpenApiBodiesTest} holds the two to the same fields). Written by
 * {@link Json#MAPPER}: snake_case, and a null field is left out.
 */
public final class KvBodies {
  private KvBodies() {}

  /** One key. */
  public record GetResponse(long revision, Json.Kv kv) {}

  /** A range: {@code count} keys in it, {@code kvs} up to the limit, {@code more} if cut. */
  public record RangeResponse(long revision, List<Json.Kv> kvs, long count, boolean more) {}

  /** {@code count_only} on one key. */
  public record CountResponse(long revision, long count) {}

  /**
   * @param prevKv null unless asked for and the key existed
   */
  public record PutResponse(long revision, Json.Kv kv, Json.Kv prevKv) {}

  /**
   * @param prevKvs null unless asked for and something was deleted
   */
  public record DeleteResponse(long revision, long deleted, List<Json.Kv> prevKvs) {}

  public record TxnResponse(boolean succeeded, long revision, List<TxnOpResponse> responses) {}

  /** Exactly one of the three is set. */
  public record TxnOpResponse(PutResponse put, DeleteResponse delete, RangeResponse range) {}

  public record CompactResponse(long revision, long compactRevision) {}
}
