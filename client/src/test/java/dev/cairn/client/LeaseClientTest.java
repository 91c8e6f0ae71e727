package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Leases against a real node: kept alive through the session past several TTLs, across a server
 * restart, and reported lost (typed) when someone else revokes them.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LeaseClientTest extends OneNodeTest {
  private static boolean exists(long lease) {
    return node.send("GET", "/v1/leases/" + lease, null).statusCode() == 200;
  }

  @Test
  void leasesLiveForManyTtlsWhileTheClientKeepsThemAlive() throws Exception {
    Leases.Lease a = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(2)));
    Leases.Lease b = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(3)));
    assertThat(cairn.leases().isKeptAlive(a.id())).isTrue();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    while (System.nanoTime() < until) {
      assertThat(exists(a.id())).as("lease a after %s", a).isTrue();
      assertThat(exists(b.id())).isTrue();
      Thread.sleep(500); // sampling the lease's life, not synchronising
    }
    CairnClient.await(cairn.leases().revoke(a.id()));
    CairnClient.await(cairn.leases().revoke(b.id()));
    assertThat(exists(a.id())).isFalse();
  }

  @Test
  void aLeaseRevokedByAnotherClientIsReportedLost() throws Exception {
    CompletableFuture<LeaseLostException> lost = new CompletableFuture<>();
    Leases.Lease l = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(3)));
    AutoCloseable sub =
        cairn
            .leases()
            .onLoss(
                e -> {
                  if (e.lease() == l.id()) {
                    lost.complete(e);
                  }
                });
    assertThat(node.send("DELETE", "/v1/leases/" + l.id(), null).statusCode()).isEqualTo(200);
    LeaseLostException e = lost.get(60, TimeUnit.SECONDS);
    assertThat(e.code()).isEqualTo("lease_lost");
    assertThat(cairn.leases().isKeptAlive(l.id())).isFalse();
    sub.close();
  }

  @Test
  void keepaliveGoesOnAcrossAServerRestart() throws Exception {
    Leases.Lease l = CairnClient.await(cairn.leases().grant(Duration.ofSeconds(3)));
    CompletableFuture<LeaseLostException> lost = new CompletableFuture<>();
    cairn
        .leases()
        .onLoss(
            e -> {
              if (e.lease() == l.id()) {
                lost.complete(e);
              }
            });
    node.restart();
    // Well past the TTL after the restart: the client reconnected and attached it again.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(9);
    while (System.nanoTime() < until) {
      assertThat(exists(l.id())).isTrue();
      Thread.sleep(500);
    }
    assertThat(lost).isNotDone();
    assertThat(cairn.kv().blocking().put("lease/after-restart", "ok").revision()).isPositive();
    CairnClient.await(cairn.leases().revoke(l.id()));
  }
}
