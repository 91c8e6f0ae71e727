package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Namespaces refuse to start when the leaders a shard starts would come from anywhere but the
 * registry ({@link RegisteredLeaders}) or the journal: distributed data, another custom store, or
 * durable distributed-data keys.
 */
@Timeout(60)
class RegisteredLeadersConfigTest {

  private static void assertRefused(String extra, String found) {
    ActorSystem system = ActorSystem.create("remembered-config-test", OneNode.config(extra));
    try {
      assertThatThrownBy(() -> Namespaces.start(system))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(RegisteredLeaders.class.getName())
          .hasMessageContaining("(found " + found);
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  @Test
  void distributedDataIsRefused() {
    assertRefused("pekko.cluster.sharding.remember-entities-store = ddata", "ddata");
  }

  @Test
  void aCustomStoreOtherThanRegisteredLeadersIsRefused() {
    assertRefused(
        "pekko.cluster.sharding.remember-entities-store = custom\n"
            + "pekko.cluster.sharding.remember-entities-custom-store = \"com.example.Other\"",
        "custom com.example.Other");
  }

  @Test
  void durableDistributedDataKeysAreRefused() {
    assertRefused(
        "pekko.cluster.sharding.distributed-data.durable.keys = [\"*\"]",
        "custom " + RegisteredLeaders.class.getName() + " and [*]");
  }
}
