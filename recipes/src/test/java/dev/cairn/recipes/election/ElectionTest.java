package dev.cairn.recipes.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.recipes.CairnClient;
import dev.cairn.recipes.CairnException;
import dev.cairn.recipes.KeyspaceClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The election recipe against core's state machine (no server). */
@Timeout(60)
class ElectionTest {
  final KeyspaceClient client = new KeyspaceClient();
  final Election election = new Election(client);

  @AfterEach
  void close() {
    client.close();
  }

  long lease() throws Exception {
    return get(client.grantLease(30));
  }

  static Bytes v(String s) {
    return Bytes.utf8(s);
  }

  static <T> T get(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static ErrorCode failure(CompletionStage<?> s) {
    try {
      s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return CairnException.codeOf(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void theFirstCandidateLeadsWithItsKeysCreateRevisionAsToken() throws Exception {
    long l = lease();
    Election.Leader leader = get(election.campaign("e", l, v("a"), null));
    assertThat(leader.key()).isEqualTo(Election.key("e", l));
    assertThat(leader.value().utf8String()).isEqualTo("a");
    assertThat(leader.fencingToken())
        .isEqualTo(get(client.get(leader.key())).orElseThrow().createRevision());
    assertThat(get(election.status("e")).leader()).isEqualTo(leader);
  }

  @Test
  void candidatesLeadInCampaignOrderEachWatchingOnlyItsPredecessorAndTokensIncrease()
      throws Exception {
    long first = lease();
    Election.Leader leader = get(election.campaign("q", first, v("0"), null));
    List<Long> leases = new ArrayList<>();
    List<CompletableFuture<Election.Leader>> waiting = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      long l = lease();
      leases.add(l);
      waiting.add(election.campaign("q", l, v("" + i), null).toCompletableFuture());
      long n = i;
      await(() -> get(election.status("q")).candidates().size() == n);
    }
    await(() -> client.watchesOpened.get() == 4);
    long token = leader.fencingToken();
    // Revoking the leader's lease elects the next in line, and only it.
    get(client.revokeLease(first));
    for (int i = 0; i < 4; i++) {
      Election.Leader next = waiting.get(i).get(30, TimeUnit.SECONDS);
      assertThat(next.lease()).isEqualTo(leases.get(i));
      assertThat(next.value().utf8String()).isEqualTo("" + (i + 1));
      assertThat(next.fencingToken()).isGreaterThan(token);
      token = next.fencingToken();
      for (int j = i + 1; j < 4; j++) {
        assertThat(waiting.get(j)).as("candidate %d still waits", j).isNotDone();
      }
      if (i % 2 == 0) {
        get(election.resign("q", next.fencingToken()));
      } else {
        client.expire(next.lease());
      }
    }
    assertThat(client.watchesOpened.get()).isEqualTo(4);
    assertThat(get(election.status("q")).leader()).isNull();
  }

  @Test
  void proclaimChangesTheLeadersValueOnlyWhileItLeads() throws Exception {
    long l = lease();
    Election.Leader leader = get(election.campaign("p", l, v("a"), null));
    long other = lease();
    CompletableFuture<Election.Leader> second =
        election.campaign("p", other, v("b"), null).toCompletableFuture();
    await(() -> get(election.status("p")).candidates().size() == 1);
    long candidateToken = get(election.status("p")).candidates().get(0).sinceRevision();

    Election.Leader proclaimed = get(election.proclaim("p", leader.fencingToken(), v("a2")));
    assertThat(proclaimed.value().utf8String()).isEqualTo("a2");
    assertThat(proclaimed.fencingToken()).isEqualTo(leader.fencingToken());
    assertThat(get(election.status("p")).leader().value().utf8String()).isEqualTo("a2");
    assertThat(failure(election.proclaim("p", candidateToken, v("x"))))
        .isEqualTo(ErrorCode.NOT_HOLDER);

    get(client.revokeLease(l));
    assertThat(failure(election.proclaim("p", leader.fencingToken(), v("late"))))
        .isEqualTo(ErrorCode.LEADERSHIP_LOST);
    assertThat(failure(election.resign("p", leader.fencingToken())))
        .isEqualTo(ErrorCode.NOT_HOLDER);
    assertThat(second.get(30, TimeUnit.SECONDS).value().utf8String()).isEqualTo("b");
  }

  @Test
  void campaigningAgainWithTheSameLeaseKeepsThePlaceAndSetsTheValue() throws Exception {
    long a = lease();
    Election.Leader leader = get(election.campaign("again", a, v("a"), null));
    long b = lease();
    CompletableFuture<Election.Leader> waiting =
        election.campaign("again", b, v("b"), null).toCompletableFuture();
    await(() -> get(election.status("again")).candidates().size() == 1);
    long bToken = get(election.status("again")).candidates().get(0).sinceRevision();

    // The leader campaigns again with another value: still leads, same key and token, new value.
    Election.Leader again = get(election.campaign("again", a, v("a2"), Duration.ZERO));
    assertThat(again.key()).isEqualTo(leader.key());
    assertThat(again.fencingToken()).isEqualTo(leader.fencingToken());
    assertThat(again.value().utf8String()).isEqualTo("a2");
    assertThat(again.revision()).isGreaterThan(leader.revision());
    assertThat(get(election.status("again")).leader().value().utf8String()).isEqualTo("a2");

    // The waiting candidate campaigns again: one place, the same, with its new value.
    CompletableFuture<Election.Leader> waitingAgain =
        election.campaign("again", b, v("b2"), null).toCompletableFuture();
    await(() -> client.watchesOpened.get() == 2);
    Election.State st = get(election.status("again"));
    assertThat(st.candidates()).hasSize(1);
    assertThat(st.candidates().get(0).sinceRevision()).isEqualTo(bToken);
    // A try that fails does not withdraw a candidacy it did not create.
    assertThat(failure(election.campaign("again", b, v("b3"), Duration.ZERO)))
        .isEqualTo(ErrorCode.CAMPAIGN_TIMEOUT);
    assertThat(get(election.status("again")).candidates()).hasSize(1);
    assertThat(waiting).isNotDone();
    assertThat(waitingAgain).isNotDone();

    get(election.resign("again", leader.fencingToken()));
    for (CompletableFuture<Election.Leader> c : List.of(waiting, waitingAgain)) {
      Election.Leader next = c.get(30, TimeUnit.SECONDS);
      assertThat(next.fencingToken()).isEqualTo(bToken);
      assertThat(next.lease()).isEqualTo(b);
    }
    assertThat(get(election.status("again")).leader().value().utf8String()).isEqualTo("b3");
  }

  @Test
  void aTimedOutCampaignWithdrawsItsCandidacy() throws Exception {
    get(election.campaign("t", lease(), v("a"), null));
    assertThat(failure(election.campaign("t", lease(), v("b"), Duration.ZERO)))
        .isEqualTo(ErrorCode.CAMPAIGN_TIMEOUT);
    assertThat(failure(election.campaign("t", lease(), v("c"), Duration.ofMillis(100))))
        .isEqualTo(ErrorCode.CAMPAIGN_TIMEOUT);
    assertThat(get(election.status("t")).candidates()).isEmpty();
  }

  @Test
  void aMissingLeaseIsRefused() {
    assertThat(failure(election.campaign("m", 4242, v("a"), null)))
        .isEqualTo(ErrorCode.LEASE_NOT_FOUND);
  }

  @Test
  void theLeaderIsFencedByItsToken() throws Exception {
    Election.Leader leader = get(election.campaign("f", lease(), v("a"), null));
    Command.Txn fenced =
        new Command.Txn(
            List.of(Election.fence("f", leader.fencingToken())),
            List.of(new Command.Put("data", v("1"), 0, false)),
            List.of());
    assertThat(get(client.txn(fenced)).succeeded()).isTrue();
    get(election.resign("f", leader.fencingToken()));
    assertThat(failure(client.txn(fenced))).isEqualTo(ErrorCode.FENCED);
  }

  @Test
  void observersSeeEveryChangeOfLeaderAndValueInOrder() throws Exception {
    List<Election.Observation> seen = Collections.synchronizedList(new ArrayList<>());
    CairnClient.Watch w = election.observe("o", seen::add, e -> {});
    await(() -> seen.size() == 1);
    assertThat(seen.get(0).leader()).isNull();
    long a = lease();
    long b = lease();
    Election.Leader la = get(election.campaign("o", a, v("a"), null));
    CompletableFuture<Election.Leader> lb =
        election.campaign("o", b, v("b"), null).toCompletableFuture();
    await(() -> get(election.status("o")).candidates().size() == 1);
    get(election.proclaim("o", la.fencingToken(), v("a2")));
    client.expire(a);
    Election.Leader leaderB = lb.get(30, TimeUnit.SECONDS);
    get(election.resign("o", leaderB.fencingToken()));
    await(() -> seen.size() == 5);
    List<String> values =
        seen.stream().map(o -> o.leader() == null ? "-" : o.leader().value().utf8String()).toList();
    // b's campaign changes nobody's leadership: no observation for it.
    assertThat(values).containsExactly("-", "a", "a2", "b", "-");
    assertThat(seen.get(3).leader().fencingToken()).isEqualTo(leaderB.fencingToken());
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).revision()).isGreaterThan(seen.get(i - 1).revision());
    }
    w.cancel();
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void await(Check c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!c.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 30 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }
}
