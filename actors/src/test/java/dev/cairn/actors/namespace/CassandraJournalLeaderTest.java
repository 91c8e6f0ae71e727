package dev.cairn.actors.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.core.ErrorCode;
import dev.cairn.core.keyspace.Command;
import dev.cairn.core.keyspace.Read;
import dev.cairn.core.keyspace.Reply;
import dev.cairn.persistence.cassandra.CassandraExtension;
import dev.cairn.persistence.cassandra.CassandraTestConfig;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The leader contract on the fenced Cassandra journal (a real Cassandra), and the read barrier: a
 * leader whose namespace has been recovered and written by a successor (a paused leader, resumed
 * after failover) answers no linearizable read and renews no lease from its stale state.
 */
@ExtendWith(CassandraExtension.class)
class CassandraJournalLeaderTest extends NamespaceLeaderContract {

  @Test
  void aLeaderWhoseSuccessorHasWrittenRefusesLinearizableReadsAndStops() {
    ActorRef zombie = leader("default");
    assertThat(write(zombie, Command.Put.of("k", "old"))).isInstanceOf(Reply.PutReply.class);
    ActorRef successor = leader("default");
    assertThat(status(successor).revision()).isEqualTo(1);
    assertThat(write(successor, Command.Put.of("k", "new"))).isInstanceOf(Reply.PutReply.class);

    TestKit probe = new TestKit(system);
    probe.watch(zombie);
    Reply stale = read(zombie, Read.Range.key("k"));
    assertThat(stale).as("a read from the superseded leader").isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) stale).code()).isEqualTo(ErrorCode.NOT_LEADER_RETRY);
    probe.expectTerminated(zombie);

    Reply current = read(successor, Read.Range.key("k"));
    assertThat(((Reply.RangeReply) current).kvs().get(0).value().utf8String()).isEqualTo("new");
  }

  @Test
  void aLeaderWhoseSuccessorHasNotWrittenStillAnswers() {
    ActorRef first = leader("default");
    assertThat(write(first, Command.Put.of("k", "v"))).isInstanceOf(Reply.PutReply.class);
    ActorRef second = leader("default");
    assertThat(status(second).revision()).isEqualTo(1);
    // Nothing was written since either recovered: both states are current.
    Reply r = read(first, Read.Range.key("k"));
    assertThat(((Reply.RangeReply) r).kvs().get(0).value().utf8String()).isEqualTo("v");
  }

  @Test
  void aSupersededLeaderRenewsNoLease() {
    ActorRef zombie = leader("default");
    long id = ((Reply.LeaseGrantReply) write(zombie, new Command.GrantLease(0, 30))).id();
    assertThat(ask(zombie, new NamespaceLeader.KeepAlive(id), Object.class))
        .isInstanceOf(Reply.KeepAliveReply.class);
    ActorRef successor = leader("default");
    assertThat(write(successor, Command.Put.of("k", "1"))).isInstanceOf(Reply.PutReply.class);
    Reply renewed = ask(zombie, new NamespaceLeader.KeepAlive(id), Reply.class);
    assertThat(renewed).isInstanceOf(Reply.Rejected.class);
    assertThat(((Reply.Rejected) renewed).code()).isEqualTo(ErrorCode.NOT_LEADER_RETRY);
  }

  @Override
  Config journalConfig() {
    // The schema first: the journal's own start waits for it, longer than a leader's answer.
    Config journal =
        CassandraTestConfig.journalWithSchema(CassandraTestConfig.freshKeyspace("leader"));
    // Snapshots stay on local files: the contract's snapshot test needs a store.
    return ConfigFactory.parseString(
            "pekko.persistence.snapshot-store.plugin = \"cairn.persistence.snapshot-store\"\n"
                + "cairn.persistence.snapshot-store.dir = \""
                + dir.resolve("snapshots")
                + "\"\n")
        .withFallback(journal);
  }
}
