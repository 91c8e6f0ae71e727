package dev.cairn.bench.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CairnTarget} against three HTTP servers answering as the issue specifies Cairn's nodes do
 * ({@code GET /v1/cluster}, {@code /ready}, {@code PUT /v1/kv/...}): no Cairn cluster exists yet.
 */
class CairnTargetTest {

  private final List<HttpServer> servers = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();

  /** What one fake node answers. */
  private static final class Node {
    volatile String leader = "pekko://cairn@127.0.0.1:2552";
    volatile String memberStatus = "Up";
    volatile int ready = 200;
    volatile int put = 200;
    final List<String> puts = new CopyOnWriteArrayList<>();
  }

  private List<Member> start(int n) throws IOException {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Node node = new Node();
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.createContext(
          "/v1/cluster",
          ex -> {
            String members3 =
                "[{\"address\":\"pekko://cairn@127.0.0.1:2551\",\"status\":\"Up\",\"roles\":[],\"reachable\":true},"
                    + "{\"address\":\"pekko://cairn@127.0.0.1:2552\",\"status\":\""
                    + node.memberStatus
                    + "\",\"roles\":[],\"reachable\":true},"
                    + "{\"address\":\"pekko://cairn@127.0.0.1:2553\",\"status\":\"Up\",\"roles\":[],\"reachable\":true}]";
            reply(
                ex,
                200,
                "{\"self\":\"x\",\"members\":"
                    + members3
                    + ",\"leaders\":{\"default\":\""
                    + node.leader
                    + "\",\"other\":\"pekko://cairn@127.0.0.1:2551\"}}");
          });
      s.createContext("/ready", ex -> reply(ex, node.ready, "{}"));
      s.createContext(
          "/v1/kv/",
          ex -> {
            node.puts.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            ex.getRequestBody().readAllBytes();
            reply(ex, node.put, "{\"revision\":1}");
          });
      s.start();
      servers.add(s);
      nodes.add(node);
      members.add(
          new Member(
              i,
              "n" + (i + 1),
              1000 + i,
              List.of("bin/cairn", "server"),
              "http://127.0.0.1:" + s.getAddress().getPort(),
              "pekko://cairn@127.0.0.1:" + (2551 + i),
              (Path) null));
    }
    return members;
  }

  private static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  @Test
  void theLeaderOfDefaultIsTheMemberWithThatClusterAddress() throws Exception {
    try (CairnTarget t = new CairnTarget(start(3), "bench/failover/", 64)) {
      assertThat(t.leader(-1)).isEqualTo(1);
      assertThat(t.healthy()).isTrue();

      nodes.get(0).leader = "pekko://cairn@127.0.0.1:2553";
      assertThat(t.leader(-1)).as("nodes disagree").isEqualTo(-1);
      assertThat(t.leader(0)).as("the two others agree").isEqualTo(1);
      assertThat(t.healthy()).isFalse();
      nodes.forEach(n -> n.leader = "pekko://cairn@127.0.0.1:2553");
      assertThat(t.leader(-1)).isEqualTo(2);
    }
  }

  @Test
  void aDeadNodeIsSkippedByLeaderButBreaksHealth() throws Exception {
    try (CairnTarget t = new CairnTarget(start(3), "bench/failover/", 64)) {
      servers.get(1).stop(0);
      assertThat(t.leader(-1)).isEqualTo(1);
      assertThat(t.healthy()).isFalse();
    }
  }

  @Test
  void notReadyOrAMemberNotUpIsNotHealthy() throws Exception {
    try (CairnTarget t = new CairnTarget(start(3), "bench/failover/", 64)) {
      nodes.get(2).ready = 503;
      assertThat(t.healthy()).isFalse();
      nodes.get(2).ready = 200;
      nodes.get(0).memberStatus = "Joining";
      assertThat(t.healthy()).isFalse();
      nodes.get(0).memberStatus = "Up";
      assertThat(t.healthy()).isTrue();
    }
  }

  @Test
  void aRefusedWriteFailsAndTheClientMovesToTheNextNode() throws Exception {
    try (CairnTarget t = new CairnTarget(start(3), "bench/failover/", 64)) {
      WriteClient c = t.client(1); // starts at node 1
      nodes.get(1).put = 503;
      Duration timeout = Duration.ofSeconds(10);
      assertThat(c.write(1, timeout))
          .failsWithin(10, TimeUnit.SECONDS)
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withMessageContaining("503");
      c.moveOn();
      assertThat(c.write(2, timeout).get(10, TimeUnit.SECONDS)).isEqualTo("n3");
      assertThat(nodes.get(1).puts).containsExactly("PUT /v1/kv/bench/failover/c1");
      assertThat(nodes.get(2).puts).containsExactly("PUT /v1/kv/bench/failover/c1");
      c.moveOn();
      assertThat(c.write(3, timeout).get(10, TimeUnit.SECONDS)).isEqualTo("n1");
    }
  }

  @Test
  void clusterAddressesMatchWithOrWithoutTheirScheme() {
    List<Member> members =
        List.of(
            new Member(0, "a", 1, List.of("x"), "http://h:1", "pekko://cairn@127.0.0.1:2551", null),
            new Member(1, "b", 2, List.of("x"), "http://h:2", "127.0.0.1:2552", null));
    assertThat(CairnTarget.memberAt(members, "127.0.0.1:2551")).isEqualTo(0);
    assertThat(CairnTarget.memberAt(members, "pekko://cairn@127.0.0.1:2552")).isEqualTo(1);
    assertThat(CairnTarget.memberAt(members, "127.0.0.1:2559")).isEqualTo(-1);
    assertThat(CairnTarget.memberAt(members, null)).isEqualTo(-1);
  }
}
