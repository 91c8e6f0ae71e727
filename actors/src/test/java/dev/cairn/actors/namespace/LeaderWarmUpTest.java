package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up runs one leader's start (a recovery and a read) and leaves nothing behind: the leader
 * is stopped, unregistered, and the warm-up itself stops.
 */
@Timeout(60)
class LeaderWarmUpTest {
  ActorSystem system;

  @BeforeEach
  void start() throws Exception {
    system = ActorSystem.create("warm-up-test", OneNode.config(""));
    OneNode.namespaces(system, Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void oneLeaderStartsAndNothingStaysRunning() {
    LocalLeaders leaders = LocalLeaders.get(system);
    long startsBefore = leaders.starts();
    int runningBefore = leaders.running();
    TestKit probe = new TestKit(system);

    ActorRef warmUp =
        LeaderWarmUp.start(system, NamespaceSettings.fromConfig(system.settings().config()));
    probe.watch(warmUp);
    probe.expectTerminated(Duration.ofSeconds(20), warmUp);

    assertThat(leaders.starts()).isEqualTo(startsBefore + 1);
    probe.awaitAssert(() -> assertThat(leaders.running()).isEqualTo(runningBefore));
    assertThat(leaders.get(LeaderWarmUp.NAME)).isNull();
  }
}
