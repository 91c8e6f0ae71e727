package dev.cairn.core.keyspace;

import static dev.cairn.core.keyspace.Harness.at;
import static dev.cairn.core.keyspace.Harness.b;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyspaceNamespaceTest {

  static Stream<Command> everyCommandButCreate() {
    return Stream.of(
        Command.Put.of("k", "v"),
        Command.Delete.key("k"),
        Command.Delete.prefix(""),
        new Command.Txn(List.of(), List.of(Read.Range.key("k")), List.of()),
        new Command.CreateSequential("q/", b("v"), 0),
        new Command.Compact(0),
        new Command.GrantLease(0, 10),
        new Command.RevokeLease(1),
        new Command.ExpireLease(1),
        new Command.DeleteNamespace(false),
        new Command.DeleteNamespace(true));
  }

  static Stream<Read> everyRead() {
    return Stream.of(
        Read.Range.key("k"),
        Harness.all(),
        new Read.LeaseInfo(1),
        new Read.LeaseList(),
        new Read.History("", "", 1, 0),
        new Read.Status());
  }

  @Nested
  class Inactive {
    Harness h = Harness.inactive();

    @ParameterizedTest
    @MethodSource("dev.cairn.core.keyspace.KeyspaceNamespaceTest#everyCommandButCreate")
    void everyCommandIsRejectedUntilTheNamespaceIsCreated(Command c) {
      assertThat(h.code(c)).isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
      h.ok(new Command.CreateNamespace());
      Decision after = h.decide(c);
      if (after instanceof Decision.Rejected r) {
        assertThat(r.rejection().code()).isNotEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
      }
    }

    @ParameterizedTest
    @MethodSource("dev.cairn.core.keyspace.KeyspaceNamespaceTest#everyRead")
    void everyReadIsRejectedUntilTheNamespaceIsCreated(Read r) {
      assertThat(h.queryRejected(r).code()).isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
      h.ok(new Command.CreateNamespace());
      if (h.query(r) instanceof Reply.Rejected rj) {
        assertThat(rj.code())
            .isEqualTo(ErrorCode.LEASE_NOT_FOUND); // LeaseInfo of a lease never granted
      }
    }

    @Test
    void createActivatesTheNamespaceInTheNextRevision() {
      Reply.NamespaceReply r = h.ok(new Command.CreateNamespace(), Reply.NamespaceReply.class);
      assertThat(r).isEqualTo(new Reply.NamespaceReply(1, true));
      assertThat(h.log).containsExactly(new Event.NamespaceCreated(1));
      assertThat(h.state.active()).isTrue();
      assertThat(h.put("k", "v").revision()).isEqualTo(2);
    }
  }

  @Nested
  class Active {
    Harness h = Harness.active();

    @Test
    void creatingAnExistingNamespaceIsRejected() {
      assertThat(h.code(new Command.CreateNamespace())).isEqualTo(ErrorCode.NAMESPACE_EXISTS);
    }

    @ParameterizedTest(name = "force={0}")
    @ValueSource(booleans = {false, true})
    void anEmptyNamespaceCanBeDeleted(boolean force) {
      Reply.NamespaceReply r = h.ok(new Command.DeleteNamespace(force), Reply.NamespaceReply.class);
      assertThat(r).isEqualTo(new Reply.NamespaceReply(1, false));
      assertThat(h.log).containsExactly(new Event.NamespaceDeleted(1));
      assertThat(h.state.active()).isFalse();
      assertThat(h.queryRejected(new Read.Status()).code())
          .isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
      assertThat(h.code(new Command.DeleteNamespace(force)))
          .isEqualTo(ErrorCode.NAMESPACE_NOT_FOUND);
    }

    @Test
    void aNamespaceWithOnlyDeletedKeysIsEmpty() {
      h.put("k", "v");
      h.delete(Command.Delete.key("k"));
      h.ok(new Command.DeleteNamespace(false));
      assertThat(h.state.active()).isFalse();
    }

    @Test
    void aNamespaceWithKeysIsNotDeletedWithoutForce() {
      h.put("k", "v");
      assertThat(h.code(new Command.DeleteNamespace(false)))
          .isEqualTo(ErrorCode.NAMESPACE_NOT_EMPTY);
      assertThat(h.state.active()).isTrue();
    }

    @Test
    void aNamespaceWithOnlyALeaseIsNotDeletedWithoutForce() {
      h.grant(10);
      assertThat(h.code(new Command.DeleteNamespace(false)))
          .isEqualTo(ErrorCode.NAMESPACE_NOT_EMPTY);
    }

    @Test
    void forceDropsKeysLeasesAndHistoryButRevisionsKeepCounting() {
      long lease = h.grant(10); // r1
      h.put("a", "1", lease); // r2
      h.put("b", "1"); // r3
      Reply.NamespaceReply r = h.ok(new Command.DeleteNamespace(true), Reply.NamespaceReply.class);
      assertThat(r.revision()).isEqualTo(4);
      h.ok(new Command.CreateNamespace()); // r5
      assertThat(h.keys()).isEmpty();
      assertThat(h.query(new Read.LeaseList(), Reply.LeaseListReply.class).ids()).isEmpty();
      Reply.StatusReply s = h.query(new Read.Status(), Reply.StatusReply.class);
      assertThat(s.revision()).isEqualTo(5);
      assertThat(s.compactRevision()).as("history before the deletion is gone").isEqualTo(4);
      assertThat(s.keys()).isZero();
      assertThat(s.leases()).isZero();
      assertThat(h.queryRejected(at(Read.Range.key("b"), 3)).code()).isEqualTo(ErrorCode.COMPACTED);
      assertThat(h.range(at(Read.Range.key("b"), 4)).kvs()).isEmpty();
      assertThat(h.queryRejected(new Read.History("", "", 3, 0)).code())
          .isEqualTo(ErrorCode.COMPACTED);
      assertThat(h.put("b", "2").kv().version()).as("a new generation").isEqualTo(1);
      assertThat(h.grant(10)).as("lease ids are not reused").isEqualTo(2);
    }
  }
}
