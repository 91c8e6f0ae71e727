package dev.cairn.persistence.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.Bytes;
import dev.cairn.core.KeyValue;
import dev.cairn.core.Limits;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Decision;
import dev.cairn.core.keyspace.Event;
import dev.cairn.core.keyspace.Keyspace;
import dev.cairn.core.keyspace.KeyspaceSnapshot;
import dev.cairn.core.keyspace.KeyspaceState;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;

class CairnSerializerTest {
  private final CairnSerializer codec = new CairnSerializer();

  record Carrier(ActorRef replyTo) implements CairnSerializable {}

  @Test
  void withoutAnActorSystemAMessageCarryingARefIsRefused() {
    ActorSystem system = ActorSystem.create("refs");
    try {
      Carrier c = new Carrier(system.deadLetters());
      assertThatThrownBy(() -> codec.toBinary(c))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(Carrier.class.getName());
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  static List<Event> oneOfEach() {
    byte[] binary = {0, (byte) 0xff, (byte) 0xc3, 0x28};
    return List.of(
        new Event.KeysChanged(
            1,
            List.of(
                new Event.Mutation.Put("a", Bytes.utf8("1"), 0),
                new Event.Mutation.Put("b", Bytes.wrap(binary), 7),
                new Event.Mutation.Delete("c"))),
        new Event.LeaseGranted(2, 7, 30),
        new Event.LeaseRevoked(3, 7, true),
        new Event.Compacted(4, 2),
        new Event.NamespaceCreated(5),
        new Event.NamespaceDeleted(6));
  }

  @Test
  void everyEventTypeRoundTrips() throws Exception {
    List<Event> events = oneOfEach();
    Set<Class<?>> covered = events.stream().map(Object::getClass).collect(Collectors.toSet());
    assertThat(covered).containsAll(Arrays.asList(Event.class.getPermittedSubclasses()));
    for (Event e : events) {
      String manifest = codec.manifest(e);
      assertThat(manifest).isEqualTo("E1");
      assertThat(codec.fromBinary(codec.toBinary(e), manifest)).isEqualTo(e);
    }
  }

  @Test
  void aSnapshotRoundTripsToAStateWithTheSameDigest() throws Exception {
    Keyspace ks = new Keyspace(Limits.DEFAULT);
    KeyspaceState s = KeyspaceState.empty(true);
    List<Command> commands = new ArrayList<>();
    commands.add(new Command.GrantLease(0, 60));
    for (int i = 0; i < 50; i++) {
      commands.add(
          new Command.Put(
              "k" + (i % 9),
              Bytes.wrap(new byte[] {(byte) i, (byte) 0xfe}),
              i % 2 == 0 ? 1 : 0,
              false));
    }
    commands.add(Command.Delete.prefix("k1"));
    commands.add(new Command.Compact(20));
    for (Command c : commands) {
      Decision d = ks.decide(s, c);
      assertThat(d).isInstanceOf(Decision.Accepted.class);
      for (Event e : ((Decision.Accepted) d).events()) {
        Keyspace.apply(s, e);
      }
    }
    KeyspaceSnapshot snap = s.toSnapshot();
    String manifest = codec.manifest(snap);
    assertThat(manifest).isEqualTo("S1");
    KeyspaceSnapshot back = (KeyspaceSnapshot) codec.fromBinary(codec.toBinary(snap), manifest);
    assertThat(back).isEqualTo(snap);
    assertThat(KeyspaceState.fromSnapshot(back).digest()).isEqualTo(s.digest());
  }

  record Note(String text, KeyValue kv) implements CairnSerializable {}

  @Test
  void markedMessagesRoundTripByClassName() throws Exception {
    Note n = new Note("hi", new KeyValue("k", Bytes.utf8("v"), 1, 2, 3, 4));
    String manifest = codec.manifest(n);
    assertThat(manifest).isEqualTo("M1:" + Note.class.getName());
    assertThat(codec.fromBinary(codec.toBinary(n), manifest)).isEqualTo(n);
  }

  @Test
  void anUnknownFormatVersionIsRefusedNotGuessed() {
    byte[] bytes = codec.toBinary(oneOfEach().get(0));
    assertThatThrownBy(() -> codec.fromBinary(bytes, "E2"))
        .isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("E2");
  }

  @Test
  void garbageIsRefusedWithTheManifestNamed() {
    assertThatThrownBy(() -> codec.fromBinary(new byte[] {1, 2, 3}, "E1"))
        .isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("E1");
  }
}
