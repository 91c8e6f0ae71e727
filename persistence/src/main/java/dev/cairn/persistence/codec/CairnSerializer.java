package dev.cairn.persistence.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.io.IOException;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Encodes keyspace {@link Event}s, {@link KeyspaceSnapshot}s, the keyspace's {@link Command}s,
 * {@link Read}s and {@link Reply}s, and any {@link CairnSerializable} record as CBOR.
 *
 * <p>The manifest is {@code <kind><format version>}: {@code E1} for events, {@code S1} for
 * snapshots, {@code M1:<class>} for other messages. A reader that meets a version it does not know
 * fails loudly instead of guessing; a new format gets a new version and a migration here.
 *
 * <p>An {@link ActorRef} inside a message is written as its full serialized path (with the node's
 * address) and resolved on reading, so a reply-to ref works from another node. That needs the actor
 * system: an instance made without one refuses messages carrying refs.
 */
public final class CairnSerializer extends SerializerWithStringManifest {
  /** Fixed for ever: persisted data names its serializer by this id. */
  public static final int IDENTIFIER = 7171;

  static final String EVENT_V1 = "E1";
  static final String SNAPSHOT_V1 = "S1";
  static final String MESSAGE_V1 = "M1:";

  private static final ObjectMapper MAPPER =
      CBORMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  /** Events and snapshots never carry refs: they use {@link #MAPPER}; messages use this one. */
  private final ObjectMapper messages;

  public CairnSerializer(ExtendedActorSystem system) {
    messages = MAPPER.copy().registerModule(actorRefs(system));
  }

  /** Without an actor system: messages carrying an {@link ActorRef} cannot be encoded. */
  public CairnSerializer() {
    messages = MAPPER;
  }

  private static SimpleModule actorRefs(ExtendedActorSystem system) {
    SimpleModule m = new SimpleModule("cairn-actor-refs");
    m.addSerializer(
        ActorRef.class,
        new StdSerializer<>(ActorRef.class) {
          @Override
          public void serialize(ActorRef ref, JsonGenerator out, SerializerProvider p)
              throws IOException {
            out.writeString(Serialization.serializedActorPath(ref));
          }
        });
    m.addDeserializer(
        ActorRef.class,
        new StdDeserializer<>(ActorRef.class) {
          @Override
          public ActorRef deserialize(JsonParser in, DeserializationContext c) throws IOException {
            return system.provider().resolveActorRef(in.getValueAsString());
          }
        });
    return m;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Event) {
      return EVENT_V1;
    } else if (o instanceof KeyspaceSnapshot) {
      return SNAPSHOT_V1;
    } else if (o instanceof CairnSerializable
        || o instanceof Reply
        || o instanceof Command
        || o instanceof Read) {
      return MESSAGE_V1 + o.getClass().getName();
    }
    throw new IllegalArgumentException("not a Cairn type: " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      if (o instanceof Event) {
        return MAPPER.writerFor(Event.class).writeValueAsBytes(o);
      }
      return messages.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode " + o.getClass(), e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      if (EVENT_V1.equals(manifest)) {
        return MAPPER.readValue(bytes, Event.class);
      } else if (SNAPSHOT_V1.equals(manifest)) {
        return MAPPER.readValue(bytes, KeyspaceSnapshot.class);
      } else if (manifest.startsWith(MESSAGE_V1)) {
        return messages.readValue(bytes, Class.forName(manifest.substring(MESSAGE_V1.length())));
      }
    } catch (IOException | ClassNotFoundException e) {
      NotSerializableException n =
          new NotSerializableException("cannot decode manifest " + manifest + ": " + e);
      n.initCause(e);
      throw n;
    }
    throw new NotSerializableException("unknown manifest " + manifest + " (a newer format?)");
  }
}
