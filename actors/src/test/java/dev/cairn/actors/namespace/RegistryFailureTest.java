package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A registry write that fails (a full disk) stops the registry; it comes back by itself, so
 * namespaces can be created again once writes succeed, without a restart of the node. A leader's
 * write that fails answers at once everyone waiting on that leader, instead of leaving them to time
 * out.
 */
@Timeout(90)
class RegistryFailureTest {
  private static final Duration T = Duration.ofSeconds(20);
  ActorSystem system;
  Namespaces namespaces;

  @BeforeEach
  void start() throws Exception {
    FailingJournal.FAILING.clear();
    system =
        ActorSystem.create(
            "registry-failure",
            ConfigFactory.parseString(
                    "failing-journal.class = \""
                        + FailingJournal.class.getName()
                        + "\"\n"
                        + "pekko.persistence.journal.plugin = failing-journal\n"
                        + "pekko.persistence.snapshot-store.plugin ="
                        + " \"pekko.persistence.snapshot-store.local\"\n"
                        + "pekko.persistence.snapshot-store.local.dir = \"target/snapshots-"
                        + System.nanoTime()
                        + "\"\n"
                        + "cairn.namespace.ask-timeout = 2s\n"
                        + "pekko.loglevel = OFF\n"
                        + "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.jmx.enabled = off\n")
                .withFallback(ConfigFactory.load()));
    namespaces = OneNode.namespaces(system, T);
  }

  @AfterEach
  void stop() {
    FailingJournal.FAILING.clear();
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void namespacesCanBeCreatedAgainOnceTheRegistryCanWrite() {
    assertThat(namespaces.list().toCompletableFuture().join()).contains(Namespaces.DEFAULT);
    FailingJournal.FAILING.add("namespaces");
    // The leader writes its creation; the registry's write fails and the create with it.
    assertThat(namespaces.create("team")).failsWithin(T);

    FailingJournal.FAILING.clear();
    TestKit probe = new TestKit(system);
    probe.awaitAssert(
        T,
        Duration.ofMillis(200),
        () -> {
          // No answer yet (the registry is still backing off) is null: try again.
          Reply r = namespaces.create("team").toCompletableFuture().exceptionally(e -> null).join();
          assertThat(r).isInstanceOf(Reply.Rejected.class);
          assertThat(((Reply.Rejected) r).code()).isEqualTo(ErrorCode.NAMESPACE_EXISTS);
          return null;
        });
    assertThat(namespaces.list().toCompletableFuture().join()).contains("team");
    assertThat(namespaces.write("team", Command.Put.of("k", "v")).toCompletableFuture().join())
        .isInstanceOf(Reply.PutReply.class);
  }

  @Test
  void aFailedLeaderWriteAnswersTheWriteAndTheReadQueuedBehindIt() {
    assertThat(namespaces.create("team")).succeedsWithin(T);
    FailingJournal.FAILING.add(NamespaceLeader.persistenceIdOf("team"));

    CompletableFuture<Reply> write =
        namespaces.write("team", Command.Put.of("k", "v")).toCompletableFuture();
    CompletableFuture<Reply> read =
        namespaces.read("team", new Read.Status()).toCompletableFuture();

    // Answered by the failure: the ask timeout (2s) would fail these futures instead.
    assertThat(write).succeedsWithin(T);
    assertThat(read).succeedsWithin(T);
    assertThat(write.join()).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) write.join()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(read.join()).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) read.join()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }
}
