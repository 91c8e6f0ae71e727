package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Namespaces refuse to start when remembered leaders would be kept anywhere but the journal:
 * distributed data, or a custom store other than {@link RememberedLeaders}.
 */
@Timeout(60)
class RememberedLeadersConfigTest {

  private static void assertRefused(String extra, String found) {
    ActorSystem system = ActorSystem.create("remembered-config-test", OneNode.config(extra));
    try {
      assertThatThrownBy(() -> Namespaces.start(system))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(RememberedLeaders.class.getName())
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
  void aCustomStoreOtherThanRememberedLeadersIsRefused() {
    assertRefused(
        "pekko.cluster.sharding.remember-entities-store = custom\n"
            + "pekko.cluster.sharding.remember-entities-custom-store = \"com.example.Other\"",
        "custom com.example.Other");
  }

  @Test
  void durableDistributedDataKeysAreRefused() {
    assertRefused(
        "pekko.cluster.sharding.distributed-data.durable.keys = [\"*\"]", "eventsourced and [*]");
  }
}
