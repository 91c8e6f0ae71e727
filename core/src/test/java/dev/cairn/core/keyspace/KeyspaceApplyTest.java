package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyspaceApplyTest {
  Harness h;

  @BeforeEach
  void setUp() {
    h = Harness.active();
    long lease = h.grant(10); // r1
    h.put("a", "1", lease); // r2
    h.put("b", "1"); // r3
  }

  @ParameterizedTest(name = "revision {0} after 3")
  @ValueSource(longs = {0, 1, 3, 5, 100, -1})
  void anEventThatIsNotTheNextRevisionIsACorruptLog(long revision) {
    long digest = h.state.digest();
    assertThatThrownBy(
            () ->
                Keyspace.apply(
                    h.state,
                    new Event.KeysChanged(
                        revision, List.of(new Event.Mutation.Put("c", b("x"), 0)))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("corrupt log");
    assertThat(h.state.digest()).isEqualTo(digest);
    assertThat(h.state.revision()).isEqualTo(3);
  }

  static Stream<Event> corruptEventsAtRevision4() {
    return Stream.of(
        new Event.LeaseGranted(4, 1, 10), // granted twice
        new Event.LeaseRevoked(4, 99, false), // unknown lease
        new Event.KeysChanged(4, List.of(new Event.Mutation.Delete("missing"))),
        new Event.KeysChanged(4, List.of(new Event.Mutation.Put("c", b("x"), 99))), // unknown lease
        // a valid first mutation must not be half-applied when a later one is corrupt
        new Event.KeysChanged(
            4,
            List.of(new Event.Mutation.Put("a0", b("x"), 0), new Event.Mutation.Delete("missing"))),
        new Event.KeysChanged(
            4, List.of(new Event.Mutation.Delete("a"), new Event.Mutation.Put("z", b("x"), 99))));
  }

  @ParameterizedTest
  @MethodSource("corruptEventsAtRevision4")
  void anEventThatContradictsTheStateIsRefusedWithoutChangingIt(Event e) {
    long digest = h.state.digest();
    KeyspaceSnapshot before = h.state.toSnapshot();
    List<WatchEvent> seen = new ArrayList<>();
    assertThatThrownBy(() -> Keyspace.apply(h.state, e, seen::add))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("corrupt log");
    assertThat(h.state.digest()).isEqualTo(digest);
    assertThat(h.state.toSnapshot()).isEqualTo(before);
    assertThat(seen).isEmpty();
    // and the state still works
    assertThat(h.put("c", "ok").revision()).isEqualTo(4);
    assertThat(h.values()).containsKeys("a", "b", "c");
  }

  @Test
  void applyChangesTheStateInPlaceAndReturnsIt() {
    KeyspaceState s = h.state;
    assertThat(Keyspace.apply(s, new Event.Compacted(4, 2))).isSameAs(s);
    assertThat(s.revision()).isEqualTo(4);
    assertThat(Keyspace.apply(s, new Event.NamespaceDeleted(5), e -> {})).isSameAs(s);
  }

  @Test
  void replayingTheLogGivesTheSameStateWithOrWithoutASink() {
    h.txn(
        Harness.txn(
            List.of(), List.of(Command.Put.of("c", "1"), Command.Delete.key("b")), List.of()));
    h.ok(new Command.RevokeLease(1));
    h.ok(new Command.Compact(3));
    KeyspaceState plain = KeyspaceState.empty(true);
    KeyspaceState sunk = KeyspaceState.empty(true);
    List<WatchEvent> changes = new ArrayList<>();
    for (Event e : h.log) {
      Keyspace.apply(plain, e);
      Keyspace.apply(sunk, e, changes::add);
    }
    assertThat(plain.digest()).isEqualTo(h.state.digest()).isEqualTo(sunk.digest());
    assertThat(plain.toSnapshot()).isEqualTo(h.state.toSnapshot());
    assertThat(changes).isEqualTo(h.changes);
  }

  @Test
  void applyDoesNotCheckActivationSoEventsAlwaysReplay() {
    KeyspaceState s = KeyspaceState.empty(false);
    Keyspace.apply(s, new Event.NamespaceCreated(1));
    Keyspace.apply(s, new Event.KeysChanged(2, List.of(new Event.Mutation.Put("k", b("v"), 0))));
    assertThat(s.active()).isTrue();
    assertThat(s.get("k").modRevision()).isEqualTo(2);
  }
}
