package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The single node's default (embedded journal) after a kill -9 and a restart: a namespace holding a
 * lease with a key is led again at start-up, with no request to it, so the lease expires and its
 * key vanishes by itself (the namespace's leader is remembered in the journal).
 */
class SingleNodeLeaseRestartIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY = Duration.ofMinutes(2);

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aLeaseOfANamespaceNobodyAsksForExpiresAfterARestart() throws Exception {
    Path root = Path.of(System.getProperty("cairn.it.work-dir", "target/it-work"));
    Path work = Files.createTempDirectory(Files.createDirectories(root), "lease-restart-");
    Path data = work.resolve("data");
    long restartedAt;
    try (CairnProcess first =
        CairnProcess.start(data, work.resolve("first.log"), READY, List.of())) {
      assertThat(Http.put(first.uri("/v1/namespaces/quiet"), "").statusCode()).isEqualTo(201);
      HttpResponse<String> lease = Http.post(first.uri("/v1/ns/quiet/leases"), "{\"ttl\": 3}");
      assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
      long id = JSON.readTree(lease.body()).path("id").asLong();
      assertThat(Http.put(first.uri("/v1/ns/quiet/kv/ephemeral?lease=" + id), "q").statusCode())
          .isEqualTo(200);
      first.kill9();
    }
    try (CairnProcess second =
        CairnProcess.start(data, work.resolve("second.log"), READY, List.of())) {
      restartedAt = System.nanoTime();
      // No request to "quiet": only the node's own metrics are read until the lease has expired.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (expired(second) < 1) {
        assertThat(System.nanoTime() - deadline)
            .as("the lease of namespace quiet expired after the restart, with no request to it")
            .isNegative();
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      }
      System.out.printf(
          "lease-restart: the 3 s lease expired %d ms after the restarted node was ready%n",
          (System.nanoTime() - restartedAt) / 1_000_000);
      assertThat(Http.get(second.uri("/v1/ns/quiet/kv/ephemeral")).statusCode()).isEqualTo(404);
    }
  }

  private static double expired(CairnProcess p) throws Exception {
    for (String line : Http.get(p.uri("/metrics")).body().split("\n")) {
      if (line.startsWith("cairn_lease_expired_total")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
