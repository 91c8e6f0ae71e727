package dev.cairn.recipes.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.ErrorCode;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.KeyspaceClient;
import dev.cairn.recipes.services.ServiceRegistry.Registration;
import dev.cairn.recipes.services.ServiceRegistry.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registry's operations against core's state machine, without a server. */
class ServiceRegistryTest {
  private final KeyspaceClient client = new KeyspaceClient();
  private final ServiceRegistry registry = new ServiceRegistry(client);

  @AfterEach
  void close() {
    client.close();
  }

  private static Registration reg(List<ServiceRegistry.Check> checks) {
    return new Registration("10.0.0.1", 80, List.of("v1"), Map.of("k", "v"), checks, 0, 0);
  }

  private ServiceRegistry.Instance only(String svc) {
    List<ServiceRegistry.Instance> all =
        registry.instances(svc).toCompletableFuture().join().instances();
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  @Test
  void aRegistrationReadsBackWithItsChecksCritical() {
    registry
        .register(
            "web",
            "w1",
            reg(
                List.of(
                    new ServiceRegistry.Ttl(5000),
                    new ServiceRegistry.Http("http://h/x", 1000, 500))))
        .toCompletableFuture()
        .join();
    ServiceRegistry.Instance i = only("web");
    assertThat(i.registration().checks()).hasSize(2);
    assertThat(i.registration().checks().get(1))
        .isEqualTo(new ServiceRegistry.Http("http://h/x", 1000, 500));
    assertThat(i.status()).isEqualTo(Status.CRITICAL);
    assertThat(registry.names().toCompletableFuture().join().names()).containsExactly("web");
  }

  @Test
  void aReportThatChangesNothingWritesNothing() {
    registry
        .register("web", "w1", reg(List.of(new ServiceRegistry.Ttl(5000))))
        .toCompletableFuture()
        .join();
    long r1 = registry.report("web", "w1", Status.PASSING, "ok").toCompletableFuture().join();
    assertThat(only("web").status()).isEqualTo(Status.PASSING);
    long r2 = registry.report("web", "w1", Status.PASSING, "ok").toCompletableFuture().join();
    assertThat(r2).isEqualTo(r1);
    long r3 = registry.report("web", "w1", Status.WARNING, "slow").toCompletableFuture().join();
    assertThat(r3).isGreaterThan(r1);
    assertThat(only("web").status()).isEqualTo(Status.WARNING);
  }

  @Test
  void unknownInstancesAreRefused() {
    assertThatThrownBy(() -> registry.deregister("web", "nobody").toCompletableFuture().join())
        .isInstanceOf(CompletionException.class)
        .satisfies(
            e -> assertThat(CairnException.codeOf(e)).isEqualTo(ErrorCode.INSTANCE_NOT_FOUND));
  }

  @Test
  void durationsParseAsConsulWritesThem() {
    assertThat(Durations.millis("d", "500ms", 0, Long.MAX_VALUE)).isEqualTo(500);
    assertThat(Durations.millis("d", "1m30s", 0, Long.MAX_VALUE)).isEqualTo(90_000);
    assertThat(Durations.millis("d", "1.5h", 0, Long.MAX_VALUE)).isEqualTo(5_400_000);
    assertThat(Durations.millis("d", 10, 0, Long.MAX_VALUE)).isEqualTo(10_000);
    assertThat(Durations.millis("d", 0.25, 0, Long.MAX_VALUE)).isEqualTo(250);
    for (Object bad : List.of("10", "s", "1d", "-1s", "", "1s ", "1 s")) {
      assertThatThrownBy(() -> Durations.millis("d", bad, 0, Long.MAX_VALUE))
          .as("%s", bad)
          .satisfies(
              e -> assertThat(CairnException.codeOf(e)).isEqualTo(ErrorCode.INVALID_DURATION));
    }
    assertThat(Durations.format(90_500)).isEqualTo("1m30s500ms");
  }
}
