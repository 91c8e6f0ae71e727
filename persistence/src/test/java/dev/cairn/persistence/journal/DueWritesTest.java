package dev.cairn.persistence.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class DueWritesTest {
  private static final long TIMEOUT = 1_000;

  @Test
  void failsTheWritesPastTheirTimeAndLeavesTheRest() {
    DueWrites due = new DueWrites(TIMEOUT);
    CompletableFuture<Void> first = new CompletableFuture<>();
    CompletableFuture<Void> second = new CompletableFuture<>();
    CompletableFuture<Void> third = new CompletableFuture<>();
    due.add(first, 0);
    due.add(second, 400);
    due.add(third, 900);

    due.expire(999);
    assertThat(first).isNotDone();

    due.expire(1_400);
    assertThat(first).isCompletedExceptionally();
    assertThatThrownBy(first::join).hasCauseInstanceOf(TimeoutException.class);
    assertThat(second).isCompletedExceptionally();
    assertThat(third).isNotDone();
    assertThat(due.size()).isEqualTo(1);

    third.complete(null);
    due.expire(10_000);
    assertThat(third.isCompletedExceptionally()).isFalse();
    assertThat(due.size()).isZero();
  }

  @Test
  void answeredWritesAreForgottenAndNeverFailed() {
    DueWrites due = new DueWrites(TIMEOUT);
    CompletableFuture<Void> answered = new CompletableFuture<>();
    CompletableFuture<Void> late = new CompletableFuture<>();
    due.add(answered, 0);
    due.add(late, 10);
    due.add(CompletableFuture.completedFuture(null), 20); // answered at once: not tracked
    assertThat(due.size()).isEqualTo(2);

    answered.complete(null);
    due.expire(1_005);
    assertThat(answered.isCompletedExceptionally()).isFalse();
    assertThat(late).isNotDone();
    assertThat(due.size()).isEqualTo(1);

    due.expire(1_010);
    assertThat(late).isCompletedExceptionally();
    assertThat(due.size()).isZero();
  }

  @Test
  void aLateWriteBehindAStuckOneFailsOnceItsOwnTimeHasCome() {
    DueWrites due = new DueWrites(TIMEOUT);
    CompletableFuture<Void> stuck = new CompletableFuture<>();
    CompletableFuture<Void> next = new CompletableFuture<>();
    due.add(stuck, 0);
    due.add(next, 500);
    due.expire(1_000);
    assertThat(stuck).isCompletedExceptionally();
    assertThat(next).isNotDone();
    due.expire(1_500);
    assertThat(next).isCompletedExceptionally();
  }
}
