package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.persistence.codec.CairnSerializer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
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
    // A cluster provider, so refs are written with the node's address as between nodes.
    system =
        ActorSystem.create(
            "protocol-serialization",
            ConfigFactory.parseString(
                    "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.loglevel = WARNING\n")
                .withFallback(ConfigFactory.load()));
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
    Serialization serialization = SerializationExtension.get(system);
    List<Object> messages = ProtocolSamples.messages(probe.getRef());
    for (Object m : messages) {
      Serializer s = serialization.findSerializerFor(m);
      assertThat(s).as("serializer of %s", m.getClass()).isInstanceOf(CairnSerializer.class);
      byte[] bytes = serialization.serialize(m).get();
      Object back =
          serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, m)).get();
      assertThat(back).as("%s", m.getClass()).isEqualTo(m);
    }
  }

  @Test
  void aRefComesBackAsTheSameActor() throws Exception {
    Serialization serialization = SerializationExtension.get(system);
    NamespaceLeader.WatchProgress m = new NamespaceLeader.WatchProgress(probe.getRef());
    Serializer s = serialization.findSerializerFor(m);
    byte[] bytes = serialization.serialize(m).get();
    ActorRef back =
        ((NamespaceLeader.WatchProgress)
                serialization
                    .deserialize(bytes, s.identifier(), Serializers.manifestFor(s, m))
                    .get())
            .subscriber();
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
