package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;

/** The leader contract on the real embedded journal, forcing every batch to disk. */
class EmbeddedJournalLeaderTest extends NamespaceLeaderContract {

  /** Only the embedded journal fences: the in-memory test journal accepts any sequence number. */
  @Test
  void aSecondLeaderOfOneNamespaceIsFencedAndStopsWhileTheFirstKeepsItsWrites() {
    ActorRef first = leader("default");
    ActorRef stale = leader("default");
    assertThat(status(first).revision()).isZero();
    assertThat(status(stale).revision()).as("recovered before the first write").isZero();
    assertThat(write(first, Command.Put.of("a", "1"))).isInstanceOf(Reply.PutReply.class);

    TestKit probe = new TestKit(system);
    probe.watch(stale);
    Reply refused = write(stale, Command.Put.of("b", "stale"));
    assertThat(refused).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) refused).code()).isEqualTo(ErrorCode.NOT_LEADER_RETRY);
    probe.expectTerminated(stale);

    assertThat(write(first, Command.Put.of("c", "3"))).isInstanceOf(Reply.PutReply.class);
    restart(first);
    ActorRef again = leader("default");
    assertThat(status(again).revision()).isEqualTo(2);
    assertThat(((Reply.RangeReply) read(again, Read.Range.prefix(""))).kvs())
        .extracting(kv -> kv.key())
        .containsExactly("a", "c");
  }

  @Override
  Config journalConfig() {
    return ConfigFactory.parseString(
        "pekko.persistence.journal.plugin = \"cairn.persistence.journal\"\n"
            + "pekko.persistence.snapshot-store.plugin = \"cairn.persistence.snapshot-store\"\n"
            + "cairn.persistence.journal.dir = \""
            + dir.resolve("journal")
            + "\"\n"
            + "cairn.persistence.snapshot-store.dir = \""
            + dir.resolve("snapshots")
            + "\"\n");
  }
}
