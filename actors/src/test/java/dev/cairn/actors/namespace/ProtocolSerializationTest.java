package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.actors.Wire;
import dev.cairn.core.keyspace.Reply;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every message of the namespace protocols goes through Pekko serialization as configured (the
 * project's CBOR serializer, as between nodes) and comes back equal, actor refs included.
 */
class ProtocolSerializationTest {
  static ActorSystem system;
  static TestKit probe;

  @BeforeAll
  static void start() {
    system = Wire.system("protocol-serialization");
    probe = new TestKit(system);
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void theSamplesCoverEveryTypeOfEveryFamily() {
    Set<Class<?>> sampled =
        ProtocolSamples.messages(probe.getRef()).stream()
            .map(Object::getClass)
            .collect(Collectors.toSet());
    assertThat(sampled).containsExactlyInAnyOrderElementsOf(ProtocolSamples.allTypes());
  }

  @Test
  void everyMessageRoundTripsThroughTheConfiguredSerializer() throws Exception {
    List<Object> messages = ProtocolSamples.messages(probe.getRef());
    for (Object m : messages) {
      Object back = Wire.roundTrip(system, m);
      assertThat(back).as("%s", m.getClass()).isEqualTo(m);
    }
  }

  @Test
  void aRefComesBackAsTheSameActor() throws Exception {
    NamespaceLeader.WatchProgress m = new NamespaceLeader.WatchProgress(probe.getRef());
    ActorRef back = ((NamespaceLeader.WatchProgress) Wire.roundTrip(system, m)).subscriber();
    back.tell("hello", ActorRef.noSender());
    probe.expectMsg("hello");
  }

  @Test
  void rejectedBelongsToEveryReplyFamily() {
    List<Class<?>> families =
        Arrays.stream(Reply.class.getDeclaredClasses())
            .filter(c -> c.isInterface() && c.isSealed())
            .toList();
    assertThat(families).isNotEmpty();
    for (Class<?> family : families) {
      assertThat(family.getPermittedSubclasses()).as("%s", family).contains(Reply.Rejected.class);
      assertThat(family.getPermittedSubclasses()).as("%s", family).hasSize(2);
    }
  }
}
