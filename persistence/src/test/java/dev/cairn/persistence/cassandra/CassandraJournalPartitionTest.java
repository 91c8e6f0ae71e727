package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With a partition size of 3 on the real Cassandra, atomic writes that cross partition boundaries
 * are stored in the partition of each sequence number: a replay, which walks the partitions and
 * stops at the first empty one, gets every event back in order.
 */
@ExtendWith(CassandraExtension.class)
class CassandraJournalPartitionTest {

  private static final String PLUGIN = "cairn.persistence.cassandra-journal";

  /** Events to persist as one atomic write. */
  record Append(List<String> events) {}

  /** Deletes the events up to {@code to}, then completes {@code done}. */
  record Delete(long to, CompletableFuture<Long> done) {}

  /** Persists each {@link Append} as one atomic write (persistAll), then says so. */
  static final class Appender extends AbstractPersistentActor {
    private final String persistenceId;
    private final List<CompletableFuture<Long>> written;

    Appender(String persistenceId, List<CompletableFuture<Long>> written) {
      this.persistenceId = persistenceId;
      this.written = written;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder().matchAny(event -> {}).build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              Append.class,
              append -> {
                CompletableFuture<Long> done = written.remove(0);
                int[] left = {append.events().size()};
                persistAll(
                    append.events(),
                    event -> {
                      if (--left[0] == 0) {
                        done.complete(lastSequenceNr());
                      }
                    });
              })
          .match(
              Delete.class,
              d -> {
                deleting = d.done();
                deleteMessages(d.to());
              })
          .match(DeleteMessagesSuccess.class, ok -> deleting.complete(ok.toSequenceNr()))
          .match(
              DeleteMessagesFailure.class, failed -> deleting.completeExceptionally(failed.cause()))
          .build();
    }

    private CompletableFuture<Long> deleting;
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void writesCrossingPartitionsReplayGapFree() throws Exception {
    String keyspace = CassandraTestConfig.freshKeyspace("partitions");
    Config config = partitionsOfThree(keyspace);
    String pid = "namespace-1";
    // Sequence numbers 1-7 (partitions 0, 1 and 2 of size 3) in one write, then 8-9 (partition 2).
    List<String> first = IntStream.rangeClosed(1, 7).mapToObj(i -> "e" + i).toList();
    List<String> second = List.of("e8", "e9");
    List<CompletableFuture<Long>> written =
        new CopyOnWriteArrayList<>(List.of(new CompletableFuture<>(), new CompletableFuture<>()));
    List<CompletableFuture<Long>> awaited = new ArrayList<>(written);
    inSystem(
        config,
        "writer",
        writer -> {
          ActorRef appender = writer.actorOf(Props.create(Appender.class, pid, written));
          appender.tell(new Append(first), ActorRef.noSender());
          assertThat(awaited.get(0).get(3, TimeUnit.MINUTES)).isEqualTo(7);
          appender.tell(new Append(second), ActorRef.noSender());
          assertThat(awaited.get(1).get(3, TimeUnit.MINUTES)).isEqualTo(9);
        });

    Replayed r = replay(config, pid);
    assertThat(r.highest()).isEqualTo(9);
    assertThat(r.sequenceNrs())
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 9).boxed().toList());
    List<String> all = new ArrayList<>(first);
    all.addAll(second);
    assertThat(r.events()).containsExactlyElementsOf(all);
  }

  /**
   * A replay after a deletion starts past the deletion mark, wherever it lies: within the first
   * partition of the replay, or in a later one (the first partition, read ahead, is then skipped).
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void replaysAfterADeletionStartPastItsMark() throws Exception {
    Config config = partitionsOfThree(CassandraTestConfig.freshKeyspace("partdel"));
    List<String> events = IntStream.rangeClosed(1, 9).mapToObj(i -> "e" + i).toList();
    for (long deleteTo : new long[] {2, 4}) {
      String pid = "namespace-del-" + deleteTo;
      List<CompletableFuture<Long>> written =
          new CopyOnWriteArrayList<>(List.of(new CompletableFuture<>()));
      CompletableFuture<Long> wrote = written.get(0);
      CompletableFuture<Long> deleted = new CompletableFuture<>();
      inSystem(
          config,
          "writer",
          writer -> {
            ActorRef appender = writer.actorOf(Props.create(Appender.class, pid, written));
            appender.tell(new Append(events), ActorRef.noSender());
            assertThat(wrote.get(3, TimeUnit.MINUTES)).isEqualTo(9);
            appender.tell(new Delete(deleteTo, deleted), ActorRef.noSender());
            assertThat(deleted.get(3, TimeUnit.MINUTES)).isEqualTo(deleteTo);
          });
      Replayed r = replay(config, pid);
      assertThat(r.highest()).isEqualTo(9);
      assertThat(r.sequenceNrs())
          .as("after deleting to " + deleteTo)
          .containsExactlyElementsOf(LongStream.rangeClosed(deleteTo + 1, 9).boxed().toList());
      assertThat(r.events()).containsExactlyElementsOf(events.subList((int) deleteTo, 9));
    }
  }

  private static Config partitionsOfThree(String keyspace) {
    return CassandraTestConfig.journalWithSchema(keyspace)
        .withValue(PLUGIN + ".partition-size", ConfigValueFactory.fromAnyRef(3));
  }

  private interface SystemBody {
    void run(ActorSystem system) throws Exception;
  }

  /** Runs {@code body} in an actor system of its own, terminated after. */
  private static void inSystem(Config config, String name, SystemBody body) throws Exception {
    ActorSystem system = ActorSystem.create(name, config);
    try {
      body.run(system);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  /** What a recovery of {@code pid} replayed, and the highest sequence number it ended at. */
  private record Replayed(long highest, List<String> events, List<Long> sequenceNrs) {}

  private static Replayed replay(Config config, String pid) throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    List<Long> sequenceNrs = new CopyOnWriteArrayList<>();
    CompletableFuture<Long> done = new CompletableFuture<>();
    inSystem(
        config,
        "reader",
        reader -> {
          reader.actorOf(
              Props.create(
                  CassandraJournalFencingTest.Reader.class, pid, events, sequenceNrs, done));
          done.get(3, TimeUnit.MINUTES);
        });
    return new Replayed(done.get(), events, sequenceNrs);
  }
}
