package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.persistence.journal.Burster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On the real Cassandra, a write whose event cannot be serialized is rejected together with every
 * later write of its persistence id in the same call, so the stored log has no gap.
 */
@ExtendWith(CassandraExtension.class)
class CassandraJournalRejectionTest {

  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aRejectedWriteInTheMiddleOfACallRejectsTheLaterOnesAndLeavesNoGap() throws Exception {
    String keyspace = CassandraTestConfig.freshKeyspace("rejection");
    String pid = "namespace-1";
    Object notSerializable =
        new Object() {
          @Override
          public String toString() {
            return "not serializable";
          }
        };
    ActorSystem writer =
        ActorSystem.create("writer", CassandraTestConfig.journalWithSchema(keyspace));
    try {
      TestKit probe = new TestKit(writer);
      ActorRef burster = writer.actorOf(Burster.props(pid));
      burster.tell(new Burster.Burst(List.of("a", "b", notSerializable, "d", "e")), probe.getRef());
      List<String> outcomes = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        outcomes.add(probe.expectMsgClass(TIMEOUT, String.class));
      }
      assertThat(outcomes)
          .containsExactlyInAnyOrder(
              "stored:1", "stored:2", "rejected:3", "rejected:4", "rejected:5");
    } finally {
      writer.terminate();
      writer.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }

    List<String> replayed = new CopyOnWriteArrayList<>();
    List<Long> sequenceNrs = new CopyOnWriteArrayList<>();
    CompletableFuture<Long> replayDone = new CompletableFuture<>();
    ActorSystem reader = ActorSystem.create("reader", CassandraTestConfig.journal(keyspace));
    try {
      reader.actorOf(
          Props.create(
              CassandraJournalFencingTest.Reader.class, pid, replayed, sequenceNrs, replayDone));
      assertThat(replayDone.get(3, TimeUnit.MINUTES)).as("no gap in the journal").isEqualTo(2);
      assertThat(replayed).containsExactly("a", "b");
      assertThat(sequenceNrs).containsExactly(1L, 2L);
    } finally {
      reader.terminate();
      reader.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }
}
