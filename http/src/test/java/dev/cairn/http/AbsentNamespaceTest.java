package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests naming namespaces that do not exist are answered 404 without leaving anything running:
 * the node's count of live namespace leaders (also the {@code cairn_namespace_leaders} metric) is
 * the same after a thousand of them as before.
 */
@Timeout(300)
class AbsentNamespaceTest {
  @RegisterExtension static final TestServer s = TestServer.perClass();

  private static final Pattern LEADERS_METRIC =
      Pattern.compile("(?m)^cairn_namespace_leaders(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");

  static int runningLeaders() {
    return s.server().namespaces().runningLeaders();
  }

  static double leadersMetric() {
    Matcher m = LEADERS_METRIC.matcher(s.get("/metrics").text());
    assertThat(m.find()).as("cairn_namespace_leaders in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void aThousandReadsOfUnknownNamespacesLeaveNoLeaderRunning() {
    s.putKey("warm", "1").ok();
    s.createNamespace("real");
    s.putKv("real", "k", "v").ok();
    // Other tests of this class may leave leaders of deleted namespaces, stopping meanwhile.
    int before = runningLeaders();
    assertThat(before).isGreaterThanOrEqualTo(2);
    assertThat(leadersMetric()).isBetween(2.0, (double) before);

    for (int i = 0; i < 1000; i++) {
      String ns = "ghost-" + UUID.randomUUID();
      s.get("/v1/ns/" + ns + "/kv/x").problem(404, "namespace_not_found");
    }
    // Every other route naming a namespace, and a namespace deleted on the way.
    for (int i = 0; i < 50; i++) {
      String ns = "ghost-" + i;
      s.put("/v1/ns/" + ns + "/kv/x", "v").problem(404, "namespace_not_found");
      s.delete("/v1/ns/" + ns + "/kv/x").problem(404, "namespace_not_found");
      s.post("/v1/ns/" + ns + "/txn", "{\"success\": []}").problem(404, "namespace_not_found");
      s.post("/v1/ns/" + ns + "/leases", "{\"ttl\": 10}").problem(404, "namespace_not_found");
      s.get("/v1/ns/" + ns + "/leases/7").problem(404, "namespace_not_found");
      s.post("/v1/ns/" + ns + "/leases/7/keepalive", null).problem(404, "namespace_not_found");
      s.get("/v1/namespaces/" + ns).problem(404, "namespace_not_found");
      s.delete("/v1/namespaces/" + ns).problem(404, "namespace_not_found");
    }

    assertThat(runningLeaders()).isBetween(2, before);
    assertThat(leadersMetric()).isBetween(2.0, (double) before);
    // The namespaces that exist still answer.
    assertThat(s.get("/v1/ns/real/kv/k").ok().path("kv").path("value").asText()).isEqualTo("v");
  }

  @Test
  void aCreatedNamespaceIsFoundAtOnceAndADeletedOneNoLonger() {
    for (int i = 0; i < 20; i++) {
      String ns = "cycle-" + i;
      s.createNamespace(ns);
      s.putKv(ns, "k", "v").ok();
      s.delete("/v1/namespaces/" + ns + "?force=true").ok();
      s.get("/v1/ns/" + ns + "/kv/k").problem(404, "namespace_not_found");
    }
  }

  @Test
  void namespacesAreFoundRightAfterARestart() {
    s.createNamespace("durable");
    s.putKv("durable", "k", "v").ok();
    s.restart();
    // The first request may arrive before the registry has recovered: it must still be found.
    assertThat(s.get("/v1/ns/durable/kv/k").ok().path("kv").path("value").asText()).isEqualTo("v");
    s.get("/v1/ns/never-made/kv/k").problem(404, "namespace_not_found");
  }
}
