package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.at;
import static dev.cairn.core.keyspace.Harness.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeyspaceSnapshotTest {
  Harness h;
  long lease;

  @BeforeEach
  void history() {
    h = Harness.active();
    lease = h.grant(10); // r1
    h.grant(20); // r2
    h.put("a", "1", lease); // r3
    h.put("b", "1"); // r4
    h.put("a", "2", lease); // r5
    h.delete(Command.Delete.key("b")); // r6
    h.put("c", "1", lease); // r7
    h.ok(new Command.Compact(4)); // r8
    h.put("d", "1"); // r9
  }

  private static List<Reply> answers(Keyspace ks, KeyspaceState s) {
    List<Reply> out = new ArrayList<>();
    for (long r = Math.max(1, s.compactRevision() - 1); r <= s.revision() + 1; r++) {
      out.add(ks.query(s, at(Harness.all(), r)));
      out.add(ks.query(s, new Read.History("", "", r, 0)));
    }
    out.add(ks.query(s, new Read.Status()));
    out.add(ks.query(s, new Read.LeaseList()));
    for (long id = 0; id <= 3; id++) {
      out.add(ks.query(s, new Read.LeaseInfo(id)));
    }
    return out;
  }

  @Test
  void aRestoredSnapshotHasTheSameDigestAndAnswers() {
    KeyspaceState restored = KeyspaceState.fromSnapshot(h.state.toSnapshot());
    assertThat(restored.digest()).isEqualTo(h.state.digest());
    assertThat(answers(h.ks, restored)).isEqualTo(answers(h.ks, h.state));
    assertThat(restored.toSnapshot()).isEqualTo(h.state.toSnapshot());
    assertThat(restored.liveKeys()).isEqualTo(3);
    assertThat(restored.leaseTtls()).isEqualTo(h.state.leaseTtls());
  }

  @Test
  void aRestoredStateDecidesLikeTheOriginal() {
    KeyspaceState restored = KeyspaceState.fromSnapshot(h.state.toSnapshot());
    for (Command c :
        List.of(
            new Command.GrantLease(0, 10),
            new Command.RevokeLease(lease),
            new Command.ExpireLease(2),
            Command.Put.of("a", "3"),
            Command.Delete.prefix(""),
            new Command.Compact(9),
            new Command.CreateSequential("s/", b("x"), lease),
            new Command.DeleteNamespace(false))) {
      assertThat(h.ks.decide(restored, c)).as("%s", c).isEqualTo(h.ks.decide(h.state, c));
    }
  }

  @Test
  void leaseBindingsAreRebuiltFromTheKeys() {
    KeyspaceState restored = KeyspaceState.fromSnapshot(h.state.toSnapshot());
    Decision d = h.ks.decide(restored, new Command.RevokeLease(lease));
    assertThat(((Decision.Accepted) d).reply())
        .isEqualTo(new Reply.LeaseRevokeReply(10, lease, List.of("a", "c")));
    Keyspace.apply(restored, ((Decision.Accepted) d).events().get(0));
    assertThat(restored.liveKeys()).isEqualTo(1);
    assertThat(restored.get("d")).isNotNull();
  }

  @Test
  void aSnapshotIsNotAffectedByLaterChanges() {
    KeyspaceSnapshot snap = h.state.toSnapshot();
    KeyspaceSnapshot copy = KeyspaceState.fromSnapshot(snap).toSnapshot();
    h.put("a", "3", lease);
    h.delete(Command.Delete.prefix(""));
    h.ok(new Command.Compact(h.rev()));
    assertThat(snap).isEqualTo(copy);
    assertThat(snap.revision()).isEqualTo(9);
  }

  @Test
  void changingARestoredStateDoesNotChangeTheSnapshot() {
    KeyspaceSnapshot snap = h.state.toSnapshot();
    KeyspaceState restored = KeyspaceState.fromSnapshot(snap);
    Keyspace.apply(
        restored, new Event.KeysChanged(10, List.of(new Event.Mutation.Put("a", b("x"), 0))));
    assertThat(KeyspaceState.fromSnapshot(snap).digest()).isEqualTo(h.state.digest());
  }

  @Test
  void snapshotPlusTailReplayEqualsFullReplay() {
    h.put("e", "1"); // r10
    h.ok(new Command.RevokeLease(lease)); // r11
    h.txn(
        Harness.txn(
            List.of(), List.of(Command.Put.of("f", "1"), Command.Delete.key("d")), List.of()));
    for (int cut = 0; cut <= h.log.size(); cut++) {
      KeyspaceState prefix = KeyspaceState.empty(true);
      for (Event e : h.log.subList(0, cut)) {
        Keyspace.apply(prefix, e);
      }
      KeyspaceState resumed = KeyspaceState.fromSnapshot(prefix.toSnapshot());
      for (Event e : h.log.subList(cut, h.log.size())) {
        Keyspace.apply(resumed, e);
      }
      assertThat(resumed.digest()).as("cut at %d", cut).isEqualTo(h.state.digest());
      assertThat(resumed.toSnapshot()).as("cut at %d", cut).isEqualTo(h.state.toSnapshot());
    }
  }

  @Test
  void snapshotRecordsTheLayout() {
    KeyspaceSnapshot s = h.state.toSnapshot();
    assertThat(s.format()).isEqualTo(KeyspaceSnapshot.FORMAT);
    assertThat(s.revision()).isEqualTo(9);
    assertThat(s.compactRevision()).isEqualTo(4);
    assertThat(s.active()).isTrue();
    assertThat(s.nextLeaseId()).isEqualTo(3);
    assertThat(s.leases())
        .containsExactly(
            new KeyspaceSnapshot.LeaseEntry(1, 10), new KeyspaceSnapshot.LeaseEntry(2, 20));
    // b was deleted after the compaction point, so its history is still kept
    assertThat(s.keys())
        .extracting(KeyspaceSnapshot.KeyHistory::key)
        .containsExactly("a", "b", "c", "d");
    assertThat(s.keys().get(1).versions()).extracting(KeyValue::version).containsExactly(1L, 0L);
    assertThat(s.keys().get(0).versions())
        .containsExactly(
            new KeyValue("a", b("1"), 3, 3, 1, lease), new KeyValue("a", b("2"), 3, 5, 2, lease));
  }

  @Test
  void anInactiveStateRoundTrips() {
    KeyspaceState s = KeyspaceState.empty(false);
    KeyspaceState restored = KeyspaceState.fromSnapshot(s.toSnapshot());
    assertThat(restored.active()).isFalse();
    assertThat(restored.digest()).isEqualTo(s.digest());
    assertThat(restored.digest()).isNotEqualTo(KeyspaceState.empty(true).digest());
  }

  @Test
  void anUnknownFormatIsRefused() {
    KeyspaceSnapshot s = h.state.toSnapshot();
    KeyspaceSnapshot future =
        new KeyspaceSnapshot(
            KeyspaceSnapshot.FORMAT + 1,
            s.revision(),
            s.compactRevision(),
            s.active(),
            s.nextLeaseId(),
            s.keys(),
            s.leases());
    assertThatThrownBy(() -> KeyspaceState.fromSnapshot(future))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aKeyHistoryNeedsAVersion() {
    assertThatThrownBy(() -> new KeyspaceSnapshot.KeyHistory("k", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSnapshotListsAreImmutableCopies() {
    List<KeyspaceSnapshot.KeyHistory> keys = new ArrayList<>();
    KeyspaceSnapshot s = new KeyspaceSnapshot(1, 0, 0, true, 1, keys, List.of());
    keys.add(new KeyspaceSnapshot.KeyHistory("k", List.of(new KeyValue("k", b("v"), 1, 1, 1, 0))));
    assertThat(s.keys()).isEmpty();
    assertThatThrownBy(() -> h.state.toSnapshot().keys().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
