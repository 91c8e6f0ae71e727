package dev.cairn.core.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.ErrorCode;
import dev.cairn.core.Limits;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyspaceLeaseTest {
  Harness h;

  @BeforeEach
  void setUp() {
    h = Harness.active();
  }

  private Reply.LeaseInfoReply info(long id) {
    return h.query(new Read.LeaseInfo(id), Reply.LeaseInfoReply.class);
  }

  private List<Long> leases() {
    return h.query(new Read.LeaseList(), Reply.LeaseListReply.class).ids();
  }

  @Nested
  class Grant {
    @Test
    void idZeroLetsTheKeyspaceChooseIncreasingIds() {
      assertThat(h.grant(10)).isEqualTo(1);
      assertThat(h.grant(10)).isEqualTo(2);
      assertThat(h.grant(10)).isEqualTo(3);
      assertThat(leases()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aGrantTakesTheNextRevisionAndRecordsTheTtl() {
      h.put("k", "v");
      Reply.LeaseGrantReply r = h.ok(new Command.GrantLease(0, 30), Reply.LeaseGrantReply.class);
      assertThat(r).isEqualTo(new Reply.LeaseGrantReply(2, 1, 30));
      assertThat(h.log.get(1)).isEqualTo(new Event.LeaseGranted(2, 1, 30));
      assertThat(info(1)).isEqualTo(new Reply.LeaseInfoReply(2, 1, 30, List.of()));
    }

    @Test
    void aClientChosenIdIsUsedAndAutomaticIdsSkipPastIt() {
      assertThat(h.ok(new Command.GrantLease(42, 10), Reply.LeaseGrantReply.class).id())
          .isEqualTo(42);
      assertThat(h.grant(10)).isEqualTo(43);
      assertThat(h.ok(new Command.GrantLease(7, 10), Reply.LeaseGrantReply.class).id())
          .isEqualTo(7);
      assertThat(h.grant(10)).as("a lower client id does not move the counter back").isEqualTo(44);
      assertThat(leases()).containsExactly(7L, 42L, 43L, 44L);
    }

    @Test
    void aDuplicateIdIsRejected() {
      h.ok(new Command.GrantLease(5, 10));
      assertThat(h.code(new Command.GrantLease(5, 20))).isEqualTo(ErrorCode.LEASE_EXISTS);
      assertThat(info(5).grantedTtlSeconds()).isEqualTo(10);
    }

    @Test
    void automaticIdsAreNeverReused() {
      long first = h.grant(10);
      h.ok(new Command.RevokeLease(first));
      assertThat(h.grant(10)).isNotEqualTo(first);
    }

    @Test
    void aNegativeIdIsInvalid() {
      assertThat(h.code(new Command.GrantLease(-3, 10))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @ParameterizedTest(name = "ttl {0}")
    @ValueSource(longs = {0, -1, 7 * 24 * 3600 + 1, Long.MAX_VALUE, Long.MIN_VALUE})
    void aTtlOutsideTheLimitsIsRejected(long ttl) {
      assertThat(h.code(new Command.GrantLease(0, ttl))).isEqualTo(ErrorCode.TTL_OUT_OF_RANGE);
      assertThat(h.code(new Command.GrantLease(9, ttl))).isEqualTo(ErrorCode.TTL_OUT_OF_RANGE);
    }

    @ParameterizedTest(name = "ttl {0}")
    @ValueSource(longs = {1, 60, 7 * 24 * 3600})
    void aTtlWithinTheLimitsIsAccepted(long ttl) {
      assertThat(h.ok(new Command.GrantLease(0, ttl), Reply.LeaseGrantReply.class).ttlSeconds())
          .isEqualTo(ttl);
    }

    @Test
    void customTtlLimitsAreInclusive() {
      Harness custom = Harness.with(new Limits(64, 64, 8, 5, 10));
      custom.ok(new Command.GrantLease(0, 5));
      custom.ok(new Command.GrantLease(0, 10));
      assertThat(custom.code(new Command.GrantLease(0, 4))).isEqualTo(ErrorCode.TTL_OUT_OF_RANGE);
    }
  }

  @Nested
  class RevokeAndExpire {
    long lease;
    long other;

    @BeforeEach
    void keys() {
      lease = h.grant(10);
      other = h.grant(10);
      h.put("b", "1", lease);
      h.put("a", "1", lease);
      h.put("c", "1", other);
      h.put("d", "1");
      h.put("e", "1", lease);
      h.delete(Command.Delete.key("e"));
    }

    private Command end(boolean expire, long id) {
      return expire ? new Command.ExpireLease(id) : new Command.RevokeLease(id);
    }

    @ParameterizedTest(name = "expire={0}")
    @ValueSource(booleans = {false, true})
    void endingALeaseDeletesEveryAttachedKeyInOneRevision(boolean expire) {
      long rev = h.rev();
      int changes = h.changes.size();
      Reply.LeaseRevokeReply r = h.ok(end(expire, lease), Reply.LeaseRevokeReply.class);
      assertThat(r).isEqualTo(new Reply.LeaseRevokeReply(rev + 1, lease, List.of("a", "b")));
      assertThat(h.rev()).isEqualTo(rev + 1);
      assertThat(h.log.get(h.log.size() - 1))
          .isEqualTo(new Event.LeaseRevoked(rev + 1, lease, expire));
      assertThat(h.keys()).containsExactly("c", "d");
      assertThat(h.changes.subList(changes, h.changes.size()))
          .allSatisfy(
              w -> {
                assertThat(w.type()).isEqualTo(WatchEvent.Type.DELETE);
                assertThat(w.revision()).isEqualTo(rev + 1);
                assertThat(w.prevKv().lease()).isEqualTo(lease);
              })
          .extracting(w -> w.kv().key())
          .containsExactly("a", "b");
    }

    @ParameterizedTest(name = "expire={0}")
    @ValueSource(booleans = {false, true})
    void anEndedLeaseIsGone(boolean expire) {
      h.ok(end(expire, lease));
      assertThat(h.queryRejected(new Read.LeaseInfo(lease)).code())
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
      assertThat(leases()).containsExactly(other);
      assertThat(h.code(new Command.Put("x", Harness.b("v"), lease, false)))
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
      assertThat(h.code(end(!expire, lease))).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    }

    @ParameterizedTest(name = "expire={0}")
    @ValueSource(booleans = {false, true})
    void endingALeaseWithoutKeysStillTakesARevision(boolean expire) {
      long empty = h.grant(10);
      long rev = h.rev();
      Reply.LeaseRevokeReply r = h.ok(end(expire, empty), Reply.LeaseRevokeReply.class);
      assertThat(r.deletedKeys()).isEmpty();
      assertThat(h.rev()).isEqualTo(rev + 1);
      assertThat(h.keys()).containsExactly("a", "b", "c", "d");
    }

    @ParameterizedTest(name = "expire={0}")
    @ValueSource(booleans = {false, true})
    void anUnknownLeaseIsRejected(boolean expire) {
      assertThat(h.code(end(expire, 99))).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
      assertThat(h.code(end(expire, 0))).isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    }

    @Test
    void leaseInfoListsTheAttachedKeysInKeyOrder() {
      assertThat(info(lease))
          .isEqualTo(new Reply.LeaseInfoReply(h.rev(), lease, 10, List.of("a", "b")));
      assertThat(info(other).keys()).containsExactly("c");
    }

    @Test
    void aKeyDetachedBeforeTheRevocationSurvivesIt() {
      h.put("a", "2");
      h.ok(new Command.RevokeLease(lease));
      assertThat(h.keys()).containsExactly("a", "c", "d");
    }

    @Test
    void aKeyRecreatedAfterTheRevocationIsUnaffectedByTheOldLease() {
      h.ok(new Command.RevokeLease(lease));
      Reply.PutReply r = h.put("a", "new");
      assertThat(r.kv().version()).isEqualTo(1);
      assertThat(r.kv().lease()).isZero();
    }

    @Test
    void leaseInfoOfAnUnknownLeaseIsRejected() {
      assertThat(h.queryRejected(new Read.LeaseInfo(1234)).code())
          .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
    }
  }
}
