package dev.cairn.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Responses#offLeader}: what is chained to a reply that a leader completes later runs on the
 * given executor, not on the completing (leader's) thread; a reply already complete is used where
 * it is, with no hop.
 */
@Timeout(30)
class OffLeaderTest {
  private final ExecutorService render =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "render"));
  private final ExecutorService leader =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "leader"));

  @AfterEach
  void stop() throws InterruptedException {
    render.shutdownNow();
    leader.shutdownNow();
    assertThat(render.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(leader.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aReplyCompletedLaterIsRenderedOnTheExecutorNotOnTheCompletingThread() throws Exception {
    CompletableFuture<String> reply = new CompletableFuture<>();
    CompletionStage<String> renderedOn =
        Responses.offLeader(reply, render).thenApply(r -> Thread.currentThread().getName());
    // Without the hop, the continuation would run here, inside the leader's task.
    leader.submit(() -> reply.complete("answer")).get();
    assertThat(renderedOn.toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo("render");
  }

  @Test
  void aReplyAlreadyCompleteIsRenderedWhereItIs() throws Exception {
    CompletionStage<String> renderedOn =
        Responses.offLeader(CompletableFuture.completedFuture("answer"), render)
            .thenApply(r -> Thread.currentThread().getName());
    assertThat(renderedOn.toCompletableFuture().getNow("not yet"))
        .isEqualTo(Thread.currentThread().getName());
  }
}
