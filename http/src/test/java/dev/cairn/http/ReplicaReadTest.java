package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.http.watch.SseClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node that keeps replicas (as every node of a cluster: the cluster registry turns them on):
 * serializable reads, ranges and the namespace status with its digest are answered by the replica,
 * linearizable ones by the leader, and a watch served by the replica streams every change.
 */
class ReplicaReadTest {
  @RegisterExtension
  static final TestServer node =
      TestServer.perClass(Map.of("cairn.namespace.cluster-registry", "on"));

  private static final Duration T = Duration.ofSeconds(10);

  @Test
  void serializableReadsReachTheReplicaAndItsDigestIsTheLeaders() {
    assertThat(node.server().namespaces().hasLocalCopies()).isTrue();
    long last = 0;
    for (int i = 0; i < 10; i++) {
      last = node.putKey("rep/k" + (i % 3), "v" + i).revision();
    }
    long written = last;
    TestServer.await(
        T,
        "the replica reaches revision " + written,
        () ->
            node.get("/v1/namespaces/default?consistency=serializable")
                    .json()
                    .path("revision")
                    .asLong()
                >= written);
    JsonNode one = node.get("/v1/kv/rep/k0?consistency=serializable").ok();
    assertThat(one.path("kv").path("value").asText()).isEqualTo("v9");
    JsonNode range = node.get("/v1/kv/rep/?prefix=true&consistency=serializable").ok();
    assertThat(range.path("count").asLong()).isEqualTo(3);
    node.get("/v1/kv/rep/nope?consistency=serializable").problem(404, "key_not_found");
    node.get("/v1/kv/rep/k0?consistency=sometimes").problem(400, "malformed_request");

    JsonNode replica = node.get("/v1/namespaces/default?consistency=serializable").ok();
    JsonNode leader = node.get("/v1/namespaces/default").ok();
    assertThat(replica.path("revision").asLong()).isEqualTo(leader.path("revision").asLong());
    assertThat(replica.path("digest").asText())
        .matches("[0-9a-f]{16}")
        .isEqualTo(leader.path("digest").asText());
    node.putKey("rep/k0", "changed");
    assertThat(node.get("/v1/namespaces/default").ok().path("digest").asText())
        .isNotEqualTo(leader.path("digest").asText());
  }

  @Test
  void aNamespaceCreatedAfterItsReplicaStartedIsServedByIt() {
    node.get("/v1/ns/rep-late/kv/a?consistency=serializable").problem(404, "namespace_not_found");
    node.createNamespace("rep-late");
    node.putKv("rep-late", "a", "1");
    TestServer.await(
        T,
        "the replica of rep-late has a",
        () -> node.get("/v1/ns/rep-late/kv/a?consistency=serializable").status() == 200);
  }

  @Test
  void aWatchServedByTheReplicaGetsHistoryThenLiveChanges() {
    long first = node.putKey("repw/a", "1").revision();
    try (SseClient sse =
        SseClient.open(node, "/v1/watch/repw/?prefix=true&start_revision=" + first)) {
      assertThat(sse.status()).isEqualTo(200);
      long second = node.putKey("repw/b", "2").revision();
      long third = node.deleteKey("repw/a").revision();
      sse.expect("the delete", T, e -> "delete".equals(e.event()));
      List<String> ids =
          sse.events().stream()
              .filter(e -> "put".equals(e.event()) || "delete".equals(e.event()))
              .map(SseClient.Event::id)
              .toList();
      assertThat(ids)
          .containsExactly(Long.toString(first), Long.toString(second), Long.toString(third));
    }
  }
}
