package dev.cairn.http.namespace;

import java.util.List;

/**
 * The JSON answers of {@code /v1/namespaces}, each named as its schema in {@code openapi.yaml}
 * ({@code OpenApiBodiesTest} holds the two to the same fields).
 */
public final class NamespaceBodies {
  private NamespaceBodies() {}

  /** Every namespace name, sorted. */
  public record NamespaceList(List<String> namespaces) {}

  public record NamespaceResponse(String name, long revision) {}

  /**
   * @param keys live keys; {@code leases} live leases
   */
  public record NamespaceStatus(
      String name, long revision, long compactRevision, long keys, long leases, String digest) {}
}
