package dev.cairn.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two actor systems (two journal instances) write the same persistence id at the same time against
 * the real Cassandra: one writer's append is refused and its actor stops, and the replayed log is
 * one gap-free sequence holding every acknowledged event.
 */
@ExtendWith(CassandraExtension.class)
class CassandraJournalFencingTest {

  private static final int GROUPS = 40;
  private static final int GROUP_SIZE = 3;

  /** Persists GROUPS groups of GROUP_SIZE events (persistAll) one group after the other. */
  static final class Writer extends AbstractPersistentActor {
    private final String persistenceId;
    private final Run run;

    Writer(String persistenceId, Run run) {
      this.persistenceId = persistenceId;
      this.run = run;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder()
          .match(RecoveryCompleted.class, done -> run.recovered().complete(lastSequenceNr()))
          .matchAny(event -> {})
          .build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().matchEquals("go", go -> writeGroup(0)).build();
    }

    private void writeGroup(int group) {
      if (group == GROUPS) {
        run.finished().complete(null);
        return;
      }
      List<String> events = new ArrayList<>();
      for (int i = 0; i < GROUP_SIZE; i++) {
        events.add(run.name() + "-" + group + "-" + i);
      }
      int[] left = {GROUP_SIZE};
      persistAll(
          events,
          event -> {
            run.acknowledged().add(event);
            if (--left[0] == 0) {
              writeGroup(group + 1);
            }
          });
    }

    @Override
    public void onPersistFailure(Throwable cause, Object event, long seqNr) {
      run.failed().complete(cause);
      super.onPersistFailure(cause, event, seqNr);
    }

    @Override
    public void onPersistRejected(Throwable cause, Object event, long seqNr) {
      run.failed().complete(cause);
      super.onPersistRejected(cause, event, seqNr);
    }
  }

  /** Replays the persistence id and reports the events with their sequence numbers. */
  static final class Reader extends AbstractPersistentActor {
    private final String persistenceId;
    private final List<String> events;
    private final List<Long> sequenceNrs;
    private final CompletableFuture<Long> done;

    Reader(
        String persistenceId,
        List<String> events,
        List<Long> sequenceNrs,
        CompletableFuture<Long> done) {
      this.persistenceId = persistenceId;
      this.events = events;
      this.sequenceNrs = sequenceNrs;
      this.done = done;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder()
          .match(
              String.class,
              event -> {
                events.add(event);
                sequenceNrs.add(lastSequenceNr());
              })
          .match(RecoveryCompleted.class, completed -> done.complete(lastSequenceNr()))
          .build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().build();
    }
  }

  /** One writer's name and what it reports. */
  record Run(
      String name,
      CompletableFuture<Long> recovered,
      List<String> acknowledged,
      CompletableFuture<Throwable> failed,
      CompletableFuture<Void> finished) {
    Run(String name) {
      this(
          name,
          new CompletableFuture<>(),
          new CopyOnWriteArrayList<>(),
          new CompletableFuture<>(),
          new CompletableFuture<>());
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void twoConcurrentWritersOneRefusedAndTheLogIsGapFree() throws Exception {
    String keyspace = CassandraTestConfig.freshKeyspace("fencing");
    String pid = "namespace-1";
    ActorSystem first =
        ActorSystem.create("first", CassandraTestConfig.journalWithSchema(keyspace));
    ActorSystem second = ActorSystem.create("second", CassandraTestConfig.journal(keyspace));
    try {
      Run a = new Run("a");
      Run b = new Run("b");
      ActorRef writerA = start(first, pid, a);
      ActorRef writerB = start(second, pid, b);
      // Both recovered the same (empty) log before either writes: both will append at 1.
      assertThat(a.recovered().get(3, TimeUnit.MINUTES)).isZero();
      assertThat(b.recovered().get(3, TimeUnit.MINUTES)).isZero();
      writerA.tell("go", ActorRef.noSender());
      writerB.tell("go", ActorRef.noSender());

      for (Run run : List.of(a, b)) {
        CompletableFuture.anyOf(run.finished(), run.failed()).get(3, TimeUnit.MINUTES);
      }
      List<Run> refused = List.of(a, b).stream().filter(r -> r.failed().isDone()).toList();
      assertThat(refused).as("exactly one writer refused").hasSize(1);
      assertThat(refused.get(0).failed().get()).isInstanceOf(AppendRefusedException.class);
      Run winner = refused.get(0) == a ? b : a;
      assertThat(winner.finished()).isDone();
      assertThat(winner.acknowledged()).hasSize(GROUPS * GROUP_SIZE);

      List<String> replayed = new CopyOnWriteArrayList<>();
      List<Long> sequenceNrs = new CopyOnWriteArrayList<>();
      CompletableFuture<Long> replayDone = new CompletableFuture<>();
      ActorSystem reader = ActorSystem.create("reader", CassandraTestConfig.journal(keyspace));
      try {
        reader.actorOf(Props.create(Reader.class, pid, replayed, sequenceNrs, replayDone));
        long highest = replayDone.get(3, TimeUnit.MINUTES);
        assertThat(sequenceNrs)
            .as("one gap-free sequence")
            .containsExactlyElementsOf(LongStream.rangeClosed(1, highest).boxed().toList());
        Set<String> acknowledged = new HashSet<>(a.acknowledged());
        acknowledged.addAll(b.acknowledged());
        assertThat(replayed).as("every acknowledged event").containsAll(acknowledged);
        assertThat(replayed).as("nothing unacknowledged").hasSameSizeAs(acknowledged);
      } finally {
        reader.terminate();
        reader.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
      }
    } finally {
      first.terminate();
      second.terminate();
      first.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
      second.getWhenTerminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  private static ActorRef start(ActorSystem system, String pid, Run run) {
    return system.actorOf(Props.create(Writer.class, pid, run));
  }
}
