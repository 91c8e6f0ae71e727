package dev.cairn.actors;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.cairn.persistence.codec.CairnSerializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/** Test help: messages through Pekko serialization as configured, as between nodes. */
public final class Wire {
  private Wire() {}

  /**
   * An actor system with the cluster provider on an ephemeral port, so refs are written with the
   * node's address as between nodes.
   */
  public static ActorSystem system(String name) {
    return ActorSystem.create(
        name,
        ConfigFactory.parseString(
                "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.loglevel = WARNING\n")
            .withFallback(ConfigFactory.load()));
  }

  /** {@code m} serialized and read back; fails unless the project's CBOR serializer takes it. */
  public static Object roundTrip(ActorSystem system, Object m) throws Exception {
    Serialization serialization = SerializationExtension.get(system);
    Serializer s = serialization.findSerializerFor(m);
    assertThat(s).as("serializer of %s", m.getClass()).isInstanceOf(CairnSerializer.class);
    byte[] bytes = serialization.serialize(m).get();
    return serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, m)).get();
  }
}
