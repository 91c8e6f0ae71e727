package dev.cairn.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The namespaces of the cluster (an operator's calls, whatever namespace the client addresses):
 * list, create (idempotent), delete. Namespace names are path segments; the server validates them.
 */
public final class Namespaces {
  private final Transport transport;

  Namespaces(Transport transport) {
    this.transport = transport;
  }

  /** Every namespace's name, sorted. */
  public CompletionStage<List<String>> list() {
    return transport
        .send(Transport.Call.get("/v1/namespaces"))
        .thenApply(
            a -> {
              List<String> names = new ArrayList<>();
              for (JsonNode n : a.json().path("namespaces")) {
                names.add(n.asText());
              }
              return names;
            });
  }

  /**
   * Creates namespace {@code name}; completes with true when it was created, false if it existed.
   */
  public CompletionStage<Boolean> create(String name) {
    return transport
        .send(new Transport.Call("PUT", "/v1/namespaces/" + segment(name), null, List.of(), true))
        .thenApply(a -> a.status() == 201);
  }

  /**
   * Deletes namespace {@code name}; refused ({@code namespace_not_empty}) while it holds keys or
   * leases unless {@code force}, which drops them.
   */
  public CompletionStage<Void> delete(String name, boolean force) {
    return transport
        .send(
            new Transport.Call(
                "DELETE",
                "/v1/namespaces/" + segment(name) + (force ? "?force=true" : ""),
                null,
                List.of(),
                false))
        .thenApply(a -> null);
  }

  private static String segment(String name) {
    return Kv.path(name).replace("/", "%2F");
  }
}
