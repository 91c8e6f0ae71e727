package dev.cairn.persistence.codec;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import java.io.IOException;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Encodes keyspace {@link Event}s, {@link KeyspaceSnapshot}s and any {@link CairnSerializable}
 * record as CBOR.
 *
 * <p>The manifest is {@code <kind><format version>}: {@code E1} for events, {@code S1} for
 * snapshots, {@code M1:<class>} for other messages. A reader that meets a version it does not know
 * fails loudly instead of guessing; a new format gets a new version and a migration here.
 */
public final class CairnSerializer extends SerializerWithStringManifest {
  /** Fixed for ever: persisted data names its serializer by this id. */
  public static final int IDENTIFIER = 7171;

  static final String EVENT_V1 = "E1";
  static final String SNAPSHOT_V1 = "S1";
  static final String MESSAGE_V1 = "M1:";

  private static final ObjectMapper MAPPER =
      CBORMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  public CairnSerializer(ExtendedActorSystem system) {}

  public CairnSerializer() {}

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
    } else if (o instanceof CairnSerializable) {
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
      return MAPPER.writeValueAsBytes(o);
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
        return MAPPER.readValue(bytes, Class.forName(manifest.substring(MESSAGE_V1.length())));
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
