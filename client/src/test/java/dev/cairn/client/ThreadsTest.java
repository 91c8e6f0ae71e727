package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.Bytes;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client runs on threads of its own, none of the JDK's common pool, and leaves none behind
 * after close(): its executor and timer stop at once; the JDK HTTP client's selector thread ends
 * once the client is unreachable.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ThreadsTest {
  private static Set<String> clientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("cairn-client-") || n.startsWith("HttpClient-"))
        .collect(Collectors.toSet());
  }

  private static Set<String> commonPool() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("ForkJoinPool.commonPool"))
        .collect(Collectors.toSet());
  }

  @Test
  void noThreadIsLeftAfterClose() throws Exception {
    try (Node node = Node.start()) {
      Set<String> before = clientThreads();
      Set<String> poolBefore = commonPool();
      use(node);
      // Threads of clients closed by earlier tests may end meanwhile: only new ones count.
      Node.await(
          Duration.ofSeconds(60),
          "the client's threads to end",
          () -> {
            System.gc();
            Set<String> left = new java.util.HashSet<>(clientThreads());
            left.removeAll(before);
            if (!left.isEmpty()) {
              System.out.println("still running: " + left);
            }
            return left.isEmpty();
          });
      assertThat(commonPool()).isEqualTo(poolBefore);
    }
  }

  /**
   * The JDK's HTTP client runs its own tasks in place (on its selector thread): the client's stages
   * and listeners must still complete on the client's executor, never on the selector thread.
   */
  @Test
  void stagesAndListenersCompleteOnTheClientsExecutor() throws Exception {
    try (Node node = Node.start();
        CairnClient c = CairnClient.connect(node.url())) {
      Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
      java.util.List<java.util.concurrent.CompletableFuture<?>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) {
        all.add(
            c.kv()
                .put("x/" + i, Bytes.utf8("v"))
                .thenAccept(r -> threads.add(Thread.currentThread().getName()))
                .toCompletableFuture());
        all.add(
            c.kv()
                .get("x/" + i)
                .thenAccept(r -> threads.add(Thread.currentThread().getName()))
                .toCompletableFuture());
      }
      WatchClientTest.Seen seen = new WatchClientTest.Seen();
      c.watchPrefix(
          "x/",
          1,
          new WatchListener() {
            @Override
            public void onEvent(dev.cairn.core.keyspace.WatchEvent event) {
              threads.add(Thread.currentThread().getName());
              seen.onEvent(event);
            }
          });
      java.util.concurrent.CompletableFuture.allOf(
              all.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      Node.await(Duration.ofSeconds(30), "the watch's events", () -> seen.size() >= 50);
      assertThat(threads).isNotEmpty().allMatch(n -> n.startsWith("cairn-client-"), "the client's");
    }
  }

  /** Opens a client, uses every part of it, and closes it; nothing of it stays referenced. */
  private static void use(Node node) throws Exception {
    CairnClient c = CairnClient.connect(node.url());
    try {
      c.kv().blocking().put("t/a", "1");
      Leases.Lease l = CairnClient.await(c.leases().grant(Duration.ofSeconds(10)));
      WatchClientTest.Seen seen = new WatchClientTest.Seen();
      c.watch("t/a", 1, seen);
      Node.await(Duration.ofSeconds(30), "an event", () -> seen.size() > 0);
      c.kv().blocking().put("t/b", Bytes.utf8("2"), Kv.PutOptions.lease(l.id()));
      assertThat(clientThreads().stream().filter(n -> n.startsWith("cairn-client-")).count())
          .isGreaterThanOrEqualTo(2);
    } finally {
      c.close();
    }
  }
}
