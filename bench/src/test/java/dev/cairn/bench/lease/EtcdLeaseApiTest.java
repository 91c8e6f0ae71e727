package dev.cairn.bench.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.http.JsonScan;
import org.junit.jupiter.api.Test;

/** How {@link EtcdLeaseApi} writes batched keepalives and reads their answers. */
class EtcdLeaseApiTest {
  private static final String HEADER =
      "\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
          + "\"revision\":\"5\",\"raft_term\":\"2\"}";

  private static String answer(long id, long ttl) {
    return "{\"result\":{"
        + HEADER
        + ",\"ID\":\""
        + id
        + "\""
        + (ttl > 0 ? ",\"TTL\":\"" + ttl + "\"" : "")
        + "}}\n";
  }

  @Test
  void oneObjectPerLeaseInTheRequestBody() {
    assertThat(EtcdLeaseApi.keepaliveBody(new long[] {7587870001577227013L, 12, 99}, 2))
        .isEqualTo("{\"ID\":\"7587870001577227013\"}\n{\"ID\":\"12\"}\n");
  }

  @Test
  void answersAreMatchedInOrder() {
    long[] ids = {7587870001577227013L, 7587870001577227014L, 7587870001577227015L};
    String body = answer(ids[0], 30) + answer(ids[1], 0) + answer(ids[2], 29);
    assertThat(EtcdLeaseApi.keepaliveAnswers(body, ids, 3)).containsExactly(30, 0, 29);

    // A line for another lease stops the matching: the rest count as unanswered.
    String mixed = answer(ids[0], 30) + answer(ids[2], 30) + answer(ids[1], 30);
    assertThat(EtcdLeaseApi.keepaliveAnswers(mixed, ids, 3)).containsExactly(30, -1, -1);

    // An error line instead of the answers (the stream failed).
    String failed = "{\"error\":{\"grpc_code\":14,\"message\":\"unavailable\"}}\n";
    assertThat(EtcdLeaseApi.keepaliveAnswers(failed, ids, 2)).containsExactly(-1, -1);
  }

  @Test
  void readsIdsAndTtlsWrittenAsStrings() {
    String grant = "{" + HEADER + ",\"ID\":\"7587870001577227013\",\"TTL\":\"30\"}";
    assertThat(JsonScan.number(grant, "\"ID\":", 0, -1)).isEqualTo(7587870001577227013L);
    assertThat(JsonScan.number(grant, "\"TTL\":", 0, -1)).isEqualTo(30);
    assertThat(JsonScan.number("{\"ID\":\"1\",\"TTL\":\"-1\"}", "\"TTL\":", 0, -1)).isEqualTo(-1);
    assertThat(JsonScan.number("{" + HEADER + "}", "\"ID\":", 0, -1)).isEqualTo(-1);
  }
}
